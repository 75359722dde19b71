"""Real receivers for notification tests, on 127.0.0.1: a webhook server and an SMTP server.

:class:`WebhookReceiver` is a stdlib ``http.server`` in a thread that records every request
and answers from a script of status codes (``[500, 500]`` then ``default_status``).
:class:`SmtpServer` is aiosmtpd with STARTTLS (a self-signed certificate for 127.0.0.1,
made in the test), required TLS before AUTH, and AUTH LOGIN/PLAIN accepting one user.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email
import email.message
import email.policy
import http.server
import ipaddress
import json
import secrets
import ssl
import subprocess
import threading
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


class WebhookReceiver:
    """Records POSTs; answers ``script`` statuses in order, then ``default_status``."""

    def __init__(self, script: list[int] | None = None, default_status: int = 200) -> None:
        self.script = list(script or [])
        self.default_status = default_status
        self.requests: list[dict[str, Any]] = []
        self.token = "tok-" + secrets.token_hex(12)  # the secret part of the URL
        self._lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.requests.append({"path": self.path, "headers": dict(self.headers),
                                              "body": body})
                    status = receiver.script.pop(0) if receiver.script else \
                        receiver.default_status
                payload = b"ok" if status < 400 else b"no"
                self.send_response(status)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/T000/{self.token}"

    def json_bodies(self) -> list[Any]:
        return [json.loads(r["body"]) for r in self.requests]

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)


def make_cert(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert, key) PEM files."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:  # the openssl CLI does the same where cryptography is absent
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
             "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
            check=True, capture_output=True, timeout=30)
        return cert, key
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(private.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.SubjectAlternativeName([
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256()))
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return cert, key


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else \
            str(envelope.content).encode()
        self.server.messages.append({
            "mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
            "tls": session.ssl is not None, "authenticated": session.authenticated,
            "message": email.message_from_bytes(content, policy=email.policy.default)})
        return "250 Message accepted for delivery"


class _PortZeroController(Controller):
    """Binds port 0 and learns the real port before aiosmtpd's readiness probe."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    """aiosmtpd on 127.0.0.1 with STARTTLS required and AUTH for ``username``/``password``."""

    def __init__(self, folder: Path, username: str, password: str) -> None:
        self.username, self.password = username, password
        self.messages: list[dict[str, Any]] = []
        self.logins: list[tuple[str, bool]] = []  # (login, accepted)
        self.cert, key = make_cert(folder)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(self.cert, key)
        self._controller = _PortZeroController(
            _Handler(self), hostname="127.0.0.1", port=0, tls_context=tls,
            require_starttls=True, auth_require_tls=True, authenticator=self._authenticate)

    def _authenticate(self, server: SMTP, session: Session, envelope: Envelope,
                      mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode()
        ok = login == self.username and auth_data.password.decode() == self.password
        self.logins.append((login, ok))
        return AuthResult(success=ok, handled=False)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def __enter__(self) -> SmtpServer:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(AssertionError):
            self._controller.stop()


def mail_body(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


