"""Sharded fan-out: ``shards: K`` runs the frame steps once per shard of the union's key.

A pipeline built as usual (sources -> union -> transforms -> validate -> loads) is
rewritten, as a manifest, into Argo's own fan-out::

    main:   extracts ... -> shards -> loads
    shards: (a DAG, parallelism P)  shard x K (withSequence) -> gather
    shard:  (a DAG, input parameter shard)  union -> transforms -> validate

- Each shard's union (``clean --shard I --shards K``) reads every source whole and keeps
  the rows whose key hashes to shard I, so every row of a key, from any source, is
  deduplicated in one shard; its transforms and validate see that shard only.
- Each shard's validate (``--shard``) judges the row rules and ``unique`` (the key is in
  its columns: ``frames._shard_problem``) and writes its good rows and report under an
  explicit key, ``<prefix>/data/I.parquet`` and ``<prefix>/report/I.json``. The gather
  (``validate --gather``) reads the reports as one folder (a key with no object loads as
  the folder under it, as map-reduce's reduce does), judges the rules that need the whole
  day and the reject threshold, and exports each sharded step's total row count and note
  as the globals the exit handler reports (``rows-<step>``, ``note-<step>``).
- The loads read ``<prefix>/data`` as a folder: every shard in one transaction, one ledger
  row.

The sources, the loads, the SLA watcher and the notification are those of the unsharded
pipeline. What needs the whole day at once cannot be sharded: a join (its sides are not
keyed alike), a custom step, or a step after the shards other than a load of validate's
rows is refused by name.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from hera.workflows import WorkflowTemplate

from workflows.argo.parameters import RUN_DATE, RUN_DATE_INPUT
from workflows.config import ConfigError
from workflows.definitions import defaults as d
from workflows.definitions.ports import MISSING
from workflows.library.build import Build

SHARD = "shard"
_REF = re.compile(r"\{\{tasks\.([A-Za-z0-9-]+)\.outputs\.(artifacts|parameters)"
                  r"\.([A-Za-z0-9_-]+)\}\}")


def prefix(validate: str) -> str:
    """Where the shards put their validated rows and reports (one run, one date)."""
    return f"cadencia/{{{{inputs.parameters.{RUN_DATE}}}}}/{{{{workflow.name}}}}/shards/{validate}"


def sharded(w: WorkflowTemplate, b: Build) -> WorkflowTemplate:
    """``w`` with its frame steps run in ``b.env.shards.count`` shards (module docstring)."""
    manifest = w.to_dict()
    _Rewrite(manifest, b).apply()
    rewritten = WorkflowTemplate.from_dict(manifest)
    assert isinstance(rewritten, WorkflowTemplate)
    return rewritten


class _Rewrite:
    def __init__(self, manifest: dict[str, Any], b: Build) -> None:
        self.b = b
        self.count = b.env.shards.count
        self.parallelism = b.env.shards.parallelism or self.count
        self.spec = manifest["spec"]
        self.templates = {t["name"]: t for t in self.spec["templates"]}
        self.main = self.templates["main"]["dag"]["tasks"]
        self.inside = [t for t in self.main if t["name"] in b.frame_steps]
        self.inner = [t["name"] for t in self.inside]  # in the pipeline's order
        self.outside: set[str] = set()  # the tasks the shards wait for
        self.loads = {t["name"] for t in self.main if _command(self.templates, t)[-1:]
                      == ["steps.load"]}

    def problem(self, message: str) -> ConfigError:
        return self.b.fault(f"shards: {message}")

    def apply(self) -> None:
        kinds = self.b.frame_steps
        joins = [n for n, k in kinds.items() if k == "join"]
        if joins:
            raise self.problem(f"step {joins[0]!r} is a join: its two sides are not spread "
                               "by one key, so it cannot run in shards")
        known = {*kinds, *(s.name for s in self.b.sources), *self.loads}
        custom = [n for n in self.b.names if n not in known]
        if custom:
            raise self.problem(f"step {custom[0]!r} is not a union, transform or validate: "
                               "only those run in shards")
        unions = [n for n, k in kinds.items() if k == "clean"]
        validates = [n for n, k in kinds.items() if k == "validate"]
        if len(unions) != 1 or len(validates) != 1:
            raise self.problem(f"a sharded pipeline has one union and one validate; this one "
                               f"has {len(unions)} and {len(validates)}")
        self.union, self.validate = unions[0], validates[0]
        self._shard_templates()
        lifted = self._lift()
        gather = self._gather_template()
        self.spec["templates"] += [self._shard_dag(lifted), self._shards_dag(lifted, gather),
                                   gather]
        self._rewire_main(lifted)

    def _lift(self) -> dict[str, tuple[str, str]]:
        """Inputs of the shard from outside it: ``{input name: (kind, reference)}``; the
        inner tasks' references to outside tasks become the shard's inputs."""
        lifted: dict[str, tuple[str, str]] = {}

        def swap(match: re.Match[str]) -> str:
            task, kind, name = match.groups()
            if task in self.inner:
                return match.group(0)
            local = task if (kind, name) == ("artifacts", "data") else f"{task}-{name}"
            lifted[local] = (kind, match.group(0))
            return f"{{{{inputs.{kind}.{local}}}}}"

        for task in self.inside:
            args = task.get("arguments", {})
            for item in [*args.get("parameters", []), *args.get("artifacts", [])]:
                for field in ("value", "from"):
                    if isinstance(item.get(field), str):
                        item[field] = _REF.sub(swap, item[field])
            self.outside |= {n for n in task.get("dependencies", []) if n not in self.inner}
            task["dependencies"] = [n for n in task.get("dependencies", []) if n in self.inner]
            if not task["dependencies"]:
                del task["dependencies"]
            task.setdefault("arguments", {}).setdefault("parameters", [])
            if _takes_shard(self.templates[task["template"]]):
                task["arguments"]["parameters"].append(
                    {"name": SHARD, "value": f"{{{{inputs.parameters.{SHARD}}}}}"})
        return lifted

    def _shard_templates(self) -> None:
        for task in self.inside:
            template = self.templates[task["template"]]
            for param in template.get("outputs", {}).get("parameters", []):
                param.pop("globalName", None)  # K shards would overwrite it: gather sets it
        clean = self.templates[self._task(self.union)["template"]]
        _add_shard(clean, ["--shard", f"{{{{inputs.parameters.{SHARD}}}}}",
                           "--shards", str(self.count)])
        memo = clean.get("memoize")
        if memo:
            memo["key"] = memo["key"].removesuffix(")}}") + (
                f" + '|shard ' + inputs.parameters['{SHARD}'] + ' of {self.count}')}}}}")
        validate = self.templates[self._task(self.validate)["template"]]
        _add_shard(validate, ["--shard"])
        base = prefix(self.validate)
        for artifact in validate["outputs"]["artifacts"]:
            if artifact["name"] == "data":
                artifact["s3"] = {"key": f"{base}/data/{{{{inputs.parameters.{SHARD}}}}}.parquet"}
            elif artifact["name"] == "report":
                artifact["s3"] = {"key": f"{base}/report/{{{{inputs.parameters.{SHARD}}}}}.json"}

    def _task(self, name: str) -> dict[str, Any]:
        return next(t for t in self.main if t["name"] == name)

    def _shard_dag(self, lifted: dict[str, tuple[str, str]]) -> dict[str, Any]:
        outputs = []
        for name in self.inner:
            for what in ("rows", "note"):
                outputs.append({"name": f"{what}-{name}", "valueFrom": {
                    "parameter": f"{{{{tasks.{name}.outputs.parameters.{what}}}}}"}})
        return {"name": SHARD, "inputs": _inputs(lifted, [RUN_DATE, SHARD]),
                "outputs": {"parameters": outputs}, "dag": {"tasks": self.inside}}

    def _shards_dag(self, lifted: dict[str, tuple[str, str]], gather: dict[str, Any]
                    ) -> dict[str, Any]:
        passed = _passed(lifted, "{{inputs.%s.%s}}")
        fan = {"name": SHARD, "template": SHARD,
               "withSequence": {"count": str(self.count)},
               "arguments": {"parameters": [
                   {"name": RUN_DATE, "value": RUN_DATE_INPUT},
                   {"name": SHARD, "value": "{{item}}"}, *passed["parameters"]],
                   "artifacts": passed["artifacts"]}}
        totals = [{"name": f"{what}-{name}",
                   "value": f"{{{{tasks.{SHARD}.outputs.parameters.{what}-{name}}}}}"}
                  for name in self.inner if name != self.validate for what in ("rows", "note")]
        collect = {"name": "gather", "template": gather["name"], "dependencies": [SHARD],
                   "arguments": {"parameters": [{"name": RUN_DATE, "value": RUN_DATE_INPUT},
                                                *totals]}}
        return {"name": "shards", "parallelism": self.parallelism,
                "inputs": _inputs(lifted, [RUN_DATE]), "dag": {"tasks": [fan, collect]}}

    def _gather_template(self) -> dict[str, Any]:
        """validate's container, judging the shards' reports (``validate --gather``)."""
        validate = self.templates[self._task(self.validate)["template"]]
        gather = copy.deepcopy({k: v for k, v in validate.items() if k != "memoize"})
        gather["name"] = f"{self.validate}-gather"
        rules = next(a for a in validate["inputs"]["artifacts"] if a["name"] == "rules")
        reports = d.in_path("reports", "")
        args = [*d.common_args(), "--gather", "{{inputs.artifacts.reports.path}}",
                "--rules", "{{inputs.artifacts.rules.path}}",
                "--report", "{{outputs.artifacts.report.path}}",
                "--rows-out", "{{outputs.parameters.rows.path}}",
                "--note-out", "{{outputs.parameters.note.path}}"]
        params = [{"name": RUN_DATE}]
        # validate's rows and note (their global names popped off the shards' validate)
        outputs = [{**p, "globalName": f"{p['name']}-{self.validate}"}
                   for p in validate["outputs"]["parameters"]]
        for name in self.inner:
            if name == self.validate:
                continue
            args += ["--shard-rows", f"{name}={{{{inputs.parameters.rows-{name}}}}}",
                     "--shard-notes", f"{name}={{{{inputs.parameters.note-{name}}}}}",
                     "--step-rows-out", f"{name}={{{{outputs.parameters.rows-{name}.path}}}}",
                     "--step-note-out", f"{name}={{{{outputs.parameters.note-{name}.path}}}}"]
            params += [{"name": f"rows-{name}"}, {"name": f"note-{name}"}]
            outputs += [
                {"name": f"rows-{name}", "globalName": f"rows-{name}",
                 "valueFrom": {"path": d.out_path(f"rows-{name}", ""), "default": MISSING}},
                {"name": f"note-{name}", "globalName": f"note-{name}",
                 "valueFrom": {"path": d.out_path(f"note-{name}", ""), "default": ""}}]
        gather["container"]["args"] = args
        for metric in (gather.get("metrics") or {}).get("prometheus") or []:
            for label in metric.get("labels") or []:
                if label["key"] == "step":  # its own series, apart from the shards' validates
                    label["value"] = gather["name"]
        gather["inputs"] = {"parameters": params, "artifacts": [
            rules, {"name": "reports", "path": reports,
                    "s3": {"key": f"{prefix(self.validate)}/report"}}]}
        report = next(a for a in validate["outputs"]["artifacts"] if a["name"] == "report")
        gather["outputs"] = {"parameters": outputs,
                             "artifacts": [{k: v for k, v in report.items() if k != "s3"}]}
        return gather

    def _rewire_main(self, lifted: dict[str, tuple[str, str]]) -> None:
        passed = _passed(lifted, None)
        task = {"name": "shards", "template": "shards", "dependencies": sorted(self.outside),
                "arguments": {"parameters": [{"name": RUN_DATE, "value": RUN_DATE_INPUT},
                                             *passed["parameters"]],
                              "artifacts": passed["artifacts"]}}
        rest = []
        for t in self.main:
            if t["name"] in self.inner:
                if t["name"] == self.inside[0]["name"]:
                    rest.append(task)
                continue
            rest.append(self._after_shards(t))
        self.templates["main"]["dag"]["tasks"] = rest

    def _after_shards(self, task: dict[str, Any]) -> dict[str, Any]:
        """A main task after the shards: only a load of validate's rows may take them."""
        deps = task.get("dependencies", [])
        if not any(n in self.inner for n in deps):
            return task
        template = self.templates[task["template"]]
        args = task.get("arguments", {})
        wanted = f"{{{{tasks.{self.validate}.outputs.artifacts.data}}}}"
        for item in [*args.get("parameters", []), *args.get("artifacts", [])]:
            refs = [m.group(1) for m in _REF.finditer(str(item.get("value") or item.get("from")
                                                          or ""))]
            if any(r in self.inner for r in refs) and item.get("from") != wanted:
                raise self.problem(f"step {task['name']!r} takes {item['name']!r} from inside "
                                   "the shards: only a load of the validate step's rows can")
        if task["name"] not in self.loads:
            raise self.problem(f"step {task['name']!r} follows a sharded step: only loads can")
        args["artifacts"] = [a for a in args.get("artifacts", []) if a.get("from") != wanted]
        if not args["artifacts"]:
            del args["artifacts"]
        for artifact in template["inputs"]["artifacts"]:
            if artifact["name"] == self.validate:
                artifact["path"] = d.in_path(self.validate, "")  # a folder of shard files
                artifact["s3"] = {"key": f"{prefix(self.validate)}/data"}
        task["dependencies"] = list(dict.fromkeys(
            "shards" if n in self.inner else n for n in deps))
        return task


def _command(templates: dict[str, Any], task: dict[str, Any]) -> list[str]:
    """The command of the task's container template; none for any other template."""
    template = templates.get(task.get("template", ""), {})
    return list((template.get("container") or {}).get("command") or [])


def _takes_shard(template: dict[str, Any]) -> bool:
    return any(p["name"] == SHARD for p in template.get("inputs", {}).get("parameters", []))


def _add_shard(template: dict[str, Any], args: list[str]) -> None:
    template.setdefault("inputs", {}).setdefault("parameters", []).append({"name": SHARD})
    template["container"]["args"] += args


def _inputs(lifted: dict[str, tuple[str, str]], params: list[str]) -> dict[str, Any]:
    return {"parameters": [{"name": p} for p in params] + [
        {"name": n} for n, (kind, _) in lifted.items() if kind == "parameters"],
        "artifacts": [{"name": n} for n, (kind, _) in lifted.items() if kind == "artifacts"]}


def _passed(lifted: dict[str, tuple[str, str]], local: str | None) -> dict[str, list[Any]]:
    """The lifted inputs as arguments: the original reference (``local`` None), or the
    enclosing template's own input of that name."""
    params, artifacts = [], []
    for name, (kind, ref) in lifted.items():
        value = ref if local is None else local % (kind, name)
        if kind == "parameters":
            params.append({"name": name, "value": value})
        else:
            artifacts.append({"name": name, "from": value})
    return {"parameters": params, "artifacts": artifacts}


__all__ = ["prefix", "sharded"]
