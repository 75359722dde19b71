"""``cadencia ui``: serve the app with uvicorn on 127.0.0.1 (this machine only) by default."""

from __future__ import annotations

from pathlib import Path

import uvicorn

from workflows.ui.app import create_app

LOOPBACK = "127.0.0.1"


def allowed_hosts(host: str, port: int) -> set[str]:
    """The ``Host`` values the server answers to: its address, and ``localhost`` when it
    listens on the loopback address."""
    names = {host} | ({"localhost"} if host in (LOOPBACK, "localhost") else set())
    return {f"{name}:{port}" for name in names}


def serve(home: Path, host: str, port: int) -> None:
    app = create_app(home, allowed_hosts(host, port))
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                server_header=False)
