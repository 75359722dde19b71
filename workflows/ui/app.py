"""The web app: pages (Jinja templates) and the JSON they poll, over one run store.

Pages: ``/`` the runs, ``/runs/RUN`` one run (graph, timeline, parameters, failures,
SLA), ``/runs/RUN/nodes/ID`` one node (inputs, outputs, error line, logs),
``/runs/RUN/data`` its output artifacts and its targets' load ledger,
``/runs/RUN/nodes/ID/artifacts/SIDE/NAME`` one artifact previewed. JSON: ``/api/runs``,
``/api/runs/RUN``, ``/api/runs/RUN/nodes/ID``, ``/api/runs/RUN/logs/ID?offset=N``. Actions
(POST, same origin only): ``/runs/RUN/retry``, ``/runs/RUN/stop``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from workflows.runs import process
from workflows.runs.record import RunRecord
from workflows.runs.store import RunLookupError, RunStore
from workflows.ui import actions, artifacts, ledger, node_view, run_view, runs_list

HERE = Path(__file__).parent
PHASES = ("Pending", "Running", "Succeeded", "Failed", "Error")


class NotFound(LookupError):
    pass


def create_app(home: Path, allowed_hosts: set[str]) -> Starlette:
    """The app over ``<home>/runs``; ``allowed_hosts`` are the ``host:port`` names the
    server answers to (actions are refused from any other origin)."""
    store = RunStore(Path(home) / "runs")
    home = store.root.parent
    templates = Jinja2Templates(directory=str(HERE / "templates"))

    def record_of(request: Request) -> RunRecord:
        try:
            return store.load(request.path_params["run"])
        except RunLookupError as exc:
            raise NotFound(str(exc)) from exc

    def page(request: Request, template: str, status_code: int = 200,
             **context: Any) -> Response:
        return templates.TemplateResponse(request, template, {"home": str(home), **context},
                                          status_code=status_code)

    def runs_page(request: Request) -> Response:
        phase, pipeline = request.query_params.get("phase"), request.query_params.get("pipeline")
        every = runs_list.list_rows(store)
        rows = [r for r in every if (not phase or r.phase == phase)
                and (not pipeline or r.pipeline == pipeline)]
        return page(request, "runs.html", rows=rows, phase=phase or "",
                    pipeline=pipeline or "", phases=PHASES,
                    pipelines=sorted({r.pipeline for r in every if r.pipeline}))

    def runs_api(request: Request) -> Response:
        rows = runs_list.list_rows(store, phase=request.query_params.get("phase"),
                                   pipeline=request.query_params.get("pipeline"))
        return JSONResponse([r.as_json() for r in rows])

    def run_page(request: Request) -> Response:
        record = record_of(request)
        return page(request, "run.html", run=run_view.run_view(record))

    def run_api(request: Request) -> Response:
        return JSONResponse(run_view.run_view(record_of(request)))

    def node_page(request: Request) -> Response:
        record = record_of(request)
        return page(request, "node.html", node=_node(record, request))

    def node_api(request: Request) -> Response:
        return JSONResponse(_node(record_of(request), request))

    def log_api(request: Request) -> Response:
        record = record_of(request)
        try:
            offset = int(request.query_params.get("offset", "0"))
            return JSONResponse(node_view.read_log(record, request.path_params["node"], offset))
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except node_view.NodeMissing as exc:
            raise NotFound(str(exc)) from exc

    def data_page(request: Request) -> Response:
        record = record_of(request)
        workflow = record.load()
        return page(request, "data.html", run=record.name,
                    outputs=node_view.all_outputs(workflow), ledgers=ledger.run_ledgers(record))

    def artifact_page(request: Request) -> Response:
        record = record_of(request)
        side, name = request.path_params["side"], request.path_params["name"]
        if side not in ("inputs", "outputs"):
            raise NotFound(f"no artifacts side {side!r}")
        try:
            node = node_view.find_node(record.load(), request.path_params["node"])
            art = artifacts.find(node, side, name)
        except (node_view.NodeMissing, artifacts.ArtifactMissing) as exc:
            raise NotFound(str(exc)) from exc
        return page(request, "artifact.html", run=record.name, node=node, side=side,
                    name=name, shown=artifacts.preview(record, home, art))

    def retry_action(request: Request) -> Response:
        refused = _refuse_foreign(request, allowed_hosts)
        if refused is not None:
            return refused
        record = record_of(request)
        before = actions.record_stamp(record)
        child = actions.start_retry(record, home)
        why = actions.wait_for_retry(record, child, before)
        if why is not None:
            return page(request, "error.html", status_code=409, title="Retry refused",
                        message=why)
        return RedirectResponse(f"/runs/{record.name}", status_code=303)

    def stop_action(request: Request) -> Response:
        refused = _refuse_foreign(request, allowed_hosts)
        if refused is not None:
            return refused
        record = record_of(request)
        if not process.stop(record.path):
            return Response(f"{record.name} is not running: nothing to stop\n", status_code=409,
                            media_type="text/plain")
        return RedirectResponse(f"/runs/{record.name}", status_code=303)

    async def not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": str(exc)}, status_code=404)
        return page(request, "error.html", message=str(exc), status_code=404)

    routes = [
        Route("/", runs_page), Route("/api/runs", runs_api),
        Route("/runs/{run}", run_page), Route("/api/runs/{run}", run_api),
        Route("/runs/{run}/data", data_page),
        Route("/runs/{run}/nodes/{node}", node_page),
        Route("/api/runs/{run}/nodes/{node}", node_api),
        Route("/api/runs/{run}/logs/{node}", log_api),
        Route("/runs/{run}/nodes/{node}/artifacts/{side}/{name}", artifact_page),
        Route("/runs/{run}/retry", retry_action, methods=["POST"]),
        Route("/runs/{run}/stop", stop_action, methods=["POST"]),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    # every request, pages included, must name this server: a page of another site that
    # rebinds its own host name to 127.0.0.1 gets nothing (DNS rebinding)
    hosts = sorted({h.rsplit(":", 1)[0] for h in allowed_hosts})  # the middleware: no port
    return Starlette(routes=routes, exception_handlers={NotFound: not_found},
                     middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=hosts)])


def _node(record: RunRecord, request: Request) -> dict[str, Any]:
    try:
        return node_view.node_view(record, request.path_params["node"])
    except node_view.NodeMissing as exc:
        raise NotFound(str(exc)) from exc


def _refuse_foreign(request: Request, allowed_hosts: set[str]) -> Response | None:
    if actions.same_origin(dict(request.headers), allowed_hosts):
        return None
    return Response("refused: actions are accepted only from this server's own pages\n",
                    status_code=403, media_type="text/plain")
