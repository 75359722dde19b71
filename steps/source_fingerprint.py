"""source-fingerprint: which sources the extracts will read, as hashes for their memoize keys.

Argo's controller evaluates a memoize key without the pod's Secrets, so the key of an
extract cannot see the database URL or the API's auth settings it reads. This step,
first in the DAG, reads them from the same Secrets and ConfigMap as the extracts and
writes one sha256 per source; each extract takes its hash as the input parameter
``source-fingerprint`` of its memoize key. A run against another source never hits
the entries of the previous one.

Inputs (a source's NAME is its extract step's name; S is NAME upper-cased, '-' -> '_'):
  ``--http NAME=URL`` (repeatable): an HTTP source and its extract's ``--url``;
  ``--sql NAME`` (repeatable): a SQL source;
  ``CADENCIA_SOURCE_DB_URL__<S>`` (required, per SQL source);
  ``CADENCIA_HTTP_AUTH__<S>``, ``CADENCIA_HTTP_USERNAME__<S>``,
  ``CADENCIA_HTTP_API_KEY_HEADER__<S>`` per HTTP source, each falling back to the
  unsuffixed ``CADENCIA_HTTP_AUTH`` / ``_USERNAME`` / ``_API_KEY_HEADER`` (the shared
  settings ConfigMap) when unset; auth ``none`` and header ``X-API-Key`` by default.

Outputs:
  ``--out NAME=PATH``, exactly one per source: the sha256 hex of the source's identity:
  SQL: dialect, driver, host, port, database (SQLite: the file), user, and the URL's
  query parameters except those naming a secret (password, token, key...);
  HTTP: the URL (scheme, host, port, path, query), the auth kind, the basic-auth user,
  the API-key header name. The hash depends on the identity only, not on NAME: two
  steps reading the same source get the same hash. The note is ``NAME HASH12, ...`` in
  the order the sources were given.

  A password, token or API key is never read nor hashed: a fingerprint is an output
  parameter any Argo UI user sees, and a hash of a secret is a way to test guesses of
  it. A rotated password on the same database is therefore the same source; two
  accounts told apart only by their token, behind the same URL and auth kind, are too.

Errors 78: a malformed NAME, database URL or API URL, an unknown auth kind, a missing
``CADENCIA_SOURCE_DB_URL__<S>``, a source without its ``--out`` or an ``--out`` naming
no source, a name given twice.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from steps._core import db, runner
from steps._core.errors import ConfigError
from steps._core.files import write_text
from steps._extract_http.auth import AuthSettings, mode_of

VERSION = 1  # bump when the identity changes shape: every entry misses once
SECRET_PARAMETER = re.compile(r"pass|secret|token|key|credential|auth", re.IGNORECASE)
NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DB_URL = "CADENCIA_SOURCE_DB_URL"
# extract-http's settings that name its source; its token, password and API key are
# deliberately absent, so they are never even read.
HTTP_IDENTITY_FIELDS = ("auth", "username", "api_key_header")


@dataclasses.dataclass(frozen=True)
class Source:
    kind: str  # "http" or "sql"
    name: str
    url: str = ""  # HTTP: extract-http's --url


def env_suffix(name: str) -> str:
    """``orders-api`` -> ``__ORDERS_API``: what ends the per-source variables of ``name``."""
    return "__" + name.upper().replace("-", "_")


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
        raise ConfigError("the URL of --http must be an http(s) URL", setting="--http")
    identity: dict[str, Any] = {
        "scheme": parts.scheme, "host": parts.hostname.lower(), "port": parts.port,
        "path": parts.path or "/", "query": sorted(parse_qsl(parts.query, keep_blank_values=True)),
        "auth": mode}
    if mode == "basic":
        identity["user"] = s.username
    if mode == "api-key":
        identity["api_key_header"] = s.api_key_header.strip().lower()
    return identity


def sql_url(name: str, environ: Mapping[str, str]) -> str:
    """SQL source ``name``'s database URL, from its own ``CADENCIA_SOURCE_DB_URL__<S>``."""
    var = DB_URL + env_suffix(name)
    url = environ.get(var, "")
    if not url:  # a blank Secret key is as good as none
        raise ConfigError(f"missing required setting {var} (its database URL)",
                          settings=[var])
    return url


def http_settings(name: str, environ: Mapping[str, str]) -> AuthSettings:
    """HTTP source ``name``'s non-secret auth settings: each ``CADENCIA_HTTP_<F>__<S>``,
    else the shared ``CADENCIA_HTTP_<F>``. An unknown auth kind names the variable set."""
    picked: dict[str, str] = {}
    origin: dict[str, str] = {}
    for field in HTTP_IDENTITY_FIELDS:
        shared = AuthSettings.env_name(field)
        for var in (shared + env_suffix(name), shared):
            if var in environ:
                picked[shared], origin[shared] = environ[var], var
                break
    settings = AuthSettings.from_env(picked)
    try:
        mode_of(settings)
    except ConfigError as exc:
        var = origin[AuthSettings.env_name("auth")]
        raise ConfigError(f"{exc.message} (set by {var})", setting=var) from exc
    return settings


def source_digest(src: Source, environ: Mapping[str, str]) -> str:
    try:
        if src.kind == "sql":
            return digest("sql", sql_identity(sql_url(src.name, environ)))
        return digest("http", http_identity(src.url, http_settings(src.name, environ)))
    except ConfigError as exc:
        raise ConfigError(f"{src.kind.upper()} source {src.name}: {exc.message}",
                          source=src.name, **exc.fields) from exc


def check_outputs(sources: Sequence[Source], outs: Sequence[tuple[str, str]]
                  ) -> dict[str, str]:
    """``{name: path}``: every source named once, with exactly one ``--out`` each."""
    names = [s.name for s in sources]
    if not names:
        raise ConfigError("no source given: pass --http NAME=URL or --sql NAME",
                          setting="--http")
    twice = sorted({n for n in names if names.count(n) > 1}
                   | {n for n, _ in outs if [o for o, _ in outs].count(n) > 1})
    if twice:
        raise ConfigError(f"source or --out given twice: {', '.join(twice)}", setting="--out")
    paths = dict(outs)
    problems = []
    if missing := [n for n in names if n not in paths]:
        problems.append(f"no --out for {', '.join(missing)}")
    if unknown := [n for n in paths if n not in names]:
        problems.append(f"--out names no source: {', '.join(unknown)}")
    if problems:
        raise ConfigError(f"every source needs exactly one --out NAME=PATH: "
                          f"{'; '.join(problems)}", setting="--out")
    return paths


def fingerprint(a: argparse.Namespace) -> dict[str, Any]:
    sources = [Source(kind, *value) if kind == "http" else Source(kind, value)
               for kind, value in a.sources]
    paths = check_outputs(sources, a.out)
    hashes = {s.name: source_digest(s, os.environ) for s in sources}
    for name, value in hashes.items():  # only once every source is known: all or nothing
        write_text(paths[name], value)
    return {"sources": {s.name: {"kind": s.kind, "sha256": hashes[s.name]} for s in sources},
            "note": ", ".join(f"{s.name} {hashes[s.name][:12]}" for s in sources)}


def source_name(raw: str) -> str:
    if not NAME.fullmatch(raw):
        raise argparse.ArgumentTypeError(
            f"{raw!r} is not a source name: lower-case letters, digits and '-', "
            "starting and ending with a letter or digit")
    return raw


def named(raw: str) -> tuple[str, str]:
    name, sep, value = raw.partition("=")
    if not sep or not value:
        raise argparse.ArgumentTypeError(f"{raw!r} is not NAME=VALUE")
    return source_name(name), value


class AddSource(argparse.Action):
    """Appends ``(kind, value)`` to ``sources``, keeping --http and --sql in given order."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:
        namespace.sources = [*namespace.sources, (self.const, values)]


def main() -> None:
    p = runner.parser("source_fingerprint", __doc__)
    p.set_defaults(sources=[])
    p.add_argument("--http", action=AddSource, const="http", dest="sources", type=named,
                   metavar="NAME=URL",
                   help="an HTTP source: its step name and extract-http's --url (repeatable)")
    p.add_argument("--sql", action=AddSource, const="sql", dest="sources", type=source_name,
                   metavar="NAME",
                   help="a SQL source: its step name (repeatable)")
    p.add_argument("--out", action="append", type=named, default=[], metavar="NAME=PATH",
                   help="where to write source NAME's hash (one per source)")
    runner.run("source_fingerprint", p.parse_args(), fingerprint)


if __name__ == "__main__":
    main()
