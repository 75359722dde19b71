"""source-fingerprint: which sources the extracts will read, as hashes for their memoize keys.

Argo's controller evaluates a memoize key without the pod's Secrets, so the key of an
extract cannot see the database URL or the API's auth settings it reads. This step,
first in the DAG, reads them from the same Secrets and ConfigMap as the extracts and
writes one sha256 per source; each extract takes its hash as the input parameter
``source-fingerprint`` of its memoize key. A run against another source never hits
the entries of the previous one.

Inputs:
  ``--http-url URL``: extract-http's endpoint (the same value as its ``--url``)
  CADENCIA_SOURCE_DB_URL (required), CADENCIA_HTTP_AUTH, CADENCIA_HTTP_USERNAME,
  CADENCIA_HTTP_API_KEY_HEADER from the environment

Outputs:
  ``--http-out PATH``, ``--sql-out PATH``: the sha256 hex of each source's identity:
  SQL: dialect, driver, host, port, database (SQLite: the file), user, and the URL's
  query parameters except those naming a secret (password, token, key...);
  HTTP: the URL (scheme, host, port, path, query), the auth kind, the basic-auth user,
  the API-key header name.

  A password, token or API key is never hashed: a fingerprint is an output parameter
  any Argo UI user sees, and a hash of a secret is a way to test guesses of it. A
  rotated password on the same database is therefore the same source; two accounts told
  apart only by their token, behind the same URL and auth kind, are too.

Errors: a malformed database URL, an unknown CADENCIA_HTTP_AUTH, a missing setting 78.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import re
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from steps._core import db, runner
from steps._core.errors import ConfigError
from steps._core.files import write_text
from steps._core.settings import Secret, Settings
from steps._extract_http.auth import AuthSettings, mode_of

VERSION = 1  # bump when the identity changes shape: every entry misses once
SECRET_PARAMETER = re.compile(r"pass|secret|token|key|credential|auth", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class SourceSettings(Settings):
    prefix = "CADENCIA_SOURCE_"
    db_url: Secret


def digest(kind: str, identity: dict[str, Any]) -> str:
    text = json.dumps({"v": VERSION, "kind": kind, **identity}, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def sql_identity(url: str) -> dict[str, Any]:
    """What names the database ``url`` points at, without its password."""
    u = db.parse_url(url)
    query = {k: v for k, v in u.query.items() if not SECRET_PARAMETER.search(k)}
    return {"dialect": u.dialect, "driver": u.driver, "host": (u.host or "").lower() or None,
            "port": u.port, "database": u.database, "user": u.username,
            "query": dict(sorted(query.items()))}


def http_identity(url: str, s: AuthSettings) -> dict[str, Any]:
    """The endpoint and how extract-http authenticates to it, without the credential
    (extract-http's own settings; this container gets none of their secrets)."""
    mode = mode_of(s)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("--http-url must be an http(s) URL", setting="--http-url")
    identity: dict[str, Any] = {
        "scheme": parts.scheme, "host": parts.hostname.lower(), "port": parts.port,
        "path": parts.path or "/", "query": sorted(parse_qsl(parts.query, keep_blank_values=True)),
        "auth": mode}
    if mode == "basic":
        identity["user"] = s.username
    if mode == "api-key":
        identity["api_key_header"] = s.api_key_header.strip().lower()
    return identity


def fingerprint(a: argparse.Namespace) -> dict[str, Any]:
    sql = digest("sql", sql_identity(SourceSettings.from_env().db_url.reveal()))
    http = digest("http", http_identity(a.http_url, AuthSettings.from_env()))
    write_text(a.http_out, http)
    write_text(a.sql_out, sql)
    return {"http": http, "sql": sql, "note": f"http {http[:12]}, sql {sql[:12]}"}


def main() -> None:
    p = runner.parser("source_fingerprint", __doc__)
    p.add_argument("--http-url", required=True, help="extract-http's --url")
    p.add_argument("--http-out", required=True, metavar="PATH", help="the HTTP source's hash")
    p.add_argument("--sql-out", required=True, metavar="PATH", help="the SQL source's hash")
    runner.run("source_fingerprint", p.parse_args(), fingerprint)


if __name__ == "__main__":
    main()
