"""A Hera program of ``@script`` tasks, as a user writes one: compiled by
``test_hera_scripts`` with ``to_yaml()`` and run with ``cadencia run --env FILE``.

``extract`` and ``load`` are inline scripts (their source is the function's body, run by
the ``python`` of a public image); ``transform`` is a runner script
(``python -m hera.workflows.runner -e tests.e2e.hera_scripts_program:transform``) of this
project's image, so it imports this module. ``extract`` hands ``load`` an artifact.
No ``from __future__ import annotations``: Hera reads the parameters' annotations as
classes.
"""

from hera.workflows import DAG, Artifact, Parameter, Steps, Workflow, script

ROWS = "/tmp/rows.json"


@script(image="python:3.12-alpine", outputs=[Artifact(name="rows", path=ROWS)])
def extract(count: int) -> None:
    import json

    rows = [{"id": i, "amount": 10 * i} for i in range(1, count + 1)]
    with open("/tmp/rows.json", "w") as handle:
        json.dump(rows, handle)
    print(sum(row["amount"] for row in rows))


@script(constructor="runner", image="cadencia:latest")
def transform(total: int, rate: float = 0.5) -> int:
    return int(total * rate)


@script(image="python:3.12-alpine", inputs=[Artifact(name="rows", path=ROWS)])
def load(fee: int, label: str) -> None:
    import json

    with open("/tmp/rows.json") as handle:
        rows = json.load(handle)
    print(json.dumps({"label": label, "rows": len(rows), "fee": fee}))


def build(name: str = "hera-scripts") -> Workflow:
    """The tasks as a DAG."""
    with Workflow(generate_name=f"{name}-", entrypoint="main",
                  arguments={"count": "4"}) as workflow, DAG(name="main"):
        extracted = extract(arguments={"count": "{{workflow.parameters.count}}"})
        transformed = transform(arguments={"total": extracted.result})
        loaded = load(arguments=[Parameter(name="fee", value=transformed.result),
                                 Parameter(name="label", value="payments"),
                                 extracted.get_artifact("rows")])
        extracted >> transformed >> loaded
    return workflow


def build_steps(name: str = "hera-script-steps") -> Workflow:
    """The same as a steps template: extract, then two transforms in parallel, then load
    (``{{steps.X.outputs.result}}``, ``{{steps.extract.outputs.artifacts.rows}}``)."""
    with Workflow(generate_name=f"{name}-", entrypoint="main",
                  arguments={"count": "4"}) as workflow, Steps(name="main") as steps:
        extracted = extract(arguments={"count": "{{workflow.parameters.count}}"})
        with steps.parallel():
            transformed = transform(arguments={"total": extracted.result})
            rebate = transform(name="rebate", arguments={"total": extracted.result,
                                                         "rate": "0.1"})
        load(arguments=[Parameter(name="fee", value=transformed.result),
                        Parameter(name="label", value=rebate.result),
                        extracted.get_artifact("rows")])
    return workflow
