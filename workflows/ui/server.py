"""``cadencia ui``: serve the app with uvicorn on 127.0.0.1 (this machine only) by default."""

from __future__ import annotations

from pathlib import Path

import uvicorn

from workflows.ui.app import create_app

LOOPBACK = "127.0.0.1"


def allowed_hosts(host: str, port: int) -> set[str]:
    """The ``Host`` values the server answers to: on the loopback address, itself and
    ``localhost`` (a foreign name rebound to 127.0.0.1 gets nothing); on any other
    address, which the user chose to share, every name (``*``) the network may use."""
    if host not in (LOOPBACK, "localhost"):
        return {"*"}
    return {f"{name}:{port}" for name in (LOOPBACK, "localhost")}


def serve(home: Path, host: str, port: int) -> None:
    app = create_app(home, allowed_hosts(host, port))
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                server_header=False)
