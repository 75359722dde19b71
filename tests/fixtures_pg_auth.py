"""A PostgreSQL cluster that requires passwords (scram-sha-256), for login-refusal tests.

The session ``postgres`` fixture trusts every local connection, so a wrong password can
never be refused there. This cluster is initialised with ``--auth=scram-sha-256``: the
superuser and the ``cadencia_app`` role log in with their passwords only, as a managed
PostgreSQL does.
"""

from __future__ import annotations

import dataclasses
import secrets

from workflows.devservices.postgres import TempPostgres

APP_ROLE = "cadencia_app"
APP_DATABASE = "cadencia_app"


class PasswordPostgres(TempPostgres):
    """A :class:`TempPostgres` whose ``pg_hba.conf`` asks every client for a password."""

    def __init__(self) -> None:
        self.superuser_password = secrets.token_hex(12)
        super().__init__()

    def _initdb(self) -> None:
        pwfile = self.root / "superuser.pw"
        pwfile.write_text(self.superuser_password + "\n")
        pwfile.chmod(0o644)  # initdb runs as the postgres user when the tests run as root
        try:
            self._run(str(self.bindir / "initdb"), "-D", str(self.datadir), "-U", "postgres",
                      "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8",
                      "--locale=C.UTF-8", "--no-sync")
        finally:
            pwfile.unlink()

    @property
    def dsn(self) -> str:
        return (f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres "
                f"password={self.superuser_password}")


@dataclasses.dataclass(frozen=True)
class AppLogin:
    """The cluster and the role a step logs in as: ``url()`` builds its database URL."""

    server: PasswordPostgres
    role: str
    password: str
    database: str

    def url(self, *, role: str | None = None, password: str | None = None,
            database: str | None = None) -> str:
        return (f"postgresql+psycopg://{role or self.role}:{password or self.password}"
                f"@127.0.0.1:{self.server.port}/{database or self.database}")


def start_app_login() -> tuple[PasswordPostgres, AppLogin]:
    """Start the cluster and create the role (with a password) and a database it owns."""
    import psycopg

    server = PasswordPostgres()
    password = secrets.token_hex(12)  # hex: nothing to escape in SQL or in a URL
    try:
        server.start()
        with psycopg.connect(server.dsn, autocommit=True) as conn:
            conn.execute(f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{password}'")
            conn.execute(f"CREATE DATABASE {APP_DATABASE} OWNER {APP_ROLE}")
    except BaseException:
        server.destroy()
        raise
    return server, AppLogin(server, APP_ROLE, password, APP_DATABASE)


def log_count(server: TempPostgres, text: str) -> int:
    """How many lines of the server's log contain ``text`` (one per refused login)."""
    if not server.logfile.exists():
        return 0
    return sum(text in line for line in server.logfile.read_text(errors="replace").splitlines())
