"""``cadencia ui``: serve the app with uvicorn on 127.0.0.1 (this machine only) by default.

The socket is bound before anything is printed, so a port already taken is one clear
error, not a banner followed by uvicorn's failure.
"""

from __future__ import annotations

import socket
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


def listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port``; OSError when it cannot be had."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def serve(home: Path, sock: socket.socket, host: str, port: int) -> None:
    app = create_app(home, allowed_hosts(host, port))
    config = uvicorn.Config(app, log_level="warning", access_log=False, server_header=False)
    uvicorn.Server(config).run(sockets=[sock])
