"""extract-http: fetch every page of a paginated JSON API and stream the records to Parquet.

Inputs:
  ``--url URL``: the endpoint; ``--param NAME=VALUE`` adds query parameters (repeatable;
  the text ``{logical_date}`` in a value becomes the run's logical date, nothing else is
  interpolated)
  ``--pagination page|offset|cursor|link`` and its knobs (parameter and field names);
  ``--records-path data.items`` says where the list of records is ("" = the whole body)

  The pages end only on an explicit marker: ``has_more`` false, the reported ``total``
  reached, a null next cursor/link (or no ``Link: rel="next"``), or an empty page with
  ``--stop-on-empty``. A short page without a marker is refused as possible truncation.

Outputs:
  ``--out PATH``: Parquet (zstd), written as pages arrive (memory does not grow with the
  number of pages) and published atomically: a failed or killed run leaves no file. This
  process fetches and checks the pages; a converter forked beside it writes them
  (steps._extract_http.converter). The schema is inferred from the first page and held
  (or declared with ``--schema id:int64,...``).
  Summary: rows, pages, columns, http_retries.

Settings (environment only):
  CADENCIA_HTTP_AUTH  none|bearer|basic|api-key, with CADENCIA_HTTP_TOKEN,
  CADENCIA_HTTP_USERNAME + CADENCIA_HTTP_PASSWORD, or CADENCIA_HTTP_API_KEY
  (+ CADENCIA_HTTP_API_KEY_HEADER, default X-API-Key)
  CADENCIA_HTTP_CONNECT_TIMEOUT, _READ_TIMEOUT, _MAX_RETRIES, _BACKOFF_BASE, _BACKOFF_CAP,
  _MAX_RETRY_AFTER  (in-step retries of connection errors, timeouts, 408, 429, 5xx)
  CADENCIA_HTTP_MAX_PAGE_BYTES  a page's size after decompression (default 16 MiB),
  counted while it is read

  HTTP_PROXY/HTTPS_PROXY/NO_PROXY and REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE/SSL_CERT_FILE
  as requests reads them (steps._core.http_transport)

  Credentials go only to the origin of --url: same-origin redirects are followed (at
  most 5), another origin is refused; every secret is masked as *** in the logs.

Errors: timeouts, 5xx, 429 after the in-step retries 75; HTML, non-JSON, truncated JSON,
a missing records path, records that are not objects, a short page without an end
marker, a column that appears or changes type, more than --max-pages pages, a page past
CADENCIA_HTTP_MAX_PAGE_BYTES, a next link to another origin 65; other 4xx (401/403:
authentication), a redirect to another origin 76; bad options or a missing secret 78.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from steps._core import imports, runner
from steps._extract_http.pagination import STYLES, PagingSpec, render_params

logger = logging.getLogger("steps.extract_http")


def add_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", required=True, help="the API endpoint (first page)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="query parameter, repeatable; {logical_date} is replaced")
    p.add_argument("--out", type=Path, required=True, help="output Parquet path")
    p.add_argument("--schema", metavar="NAME:TYPE,...",
                   help="declare columns and types (int64, int32, float64, float32, string, "
                        "bool, timestamp, timestamptz, date); other fields are ignored")
    g = p.add_argument_group("pagination")
    g.add_argument("--pagination", choices=STYLES, default="page", help="default: page")
    g.add_argument("--page-size", type=int,
                   help="records per page (page/offset default 100; optional for cursor/link)")
    g.add_argument("--size-param", help="page size parameter (per_page for page, else limit)")
    g.add_argument("--page-param", default="page")
    g.add_argument("--first-page", type=int, default=1)
    g.add_argument("--offset-param", default="offset")
    g.add_argument("--cursor-param", default="cursor", help="parameter that sends the cursor")
    g.add_argument("--cursor-field", default="next_cursor", help="response field with it")
    g.add_argument("--next-field", default="",
                   help="link: response field with the next URL (default: the Link header)")
    g.add_argument("--records-path", default="data",
                   help='dotted path to the records list; "" = the body is the list')
    g.add_argument("--has-more-field", default="has_more", help='"" to ignore')
    g.add_argument("--total-field", default="total", help='"" to ignore')
    g.add_argument("--stop-on-empty", action="store_true",
                   help="treat an empty page as the end (off: an empty page needs a marker)")
    g.add_argument("--max-pages", type=int, default=100_000, help="safety bound")


def paging_spec(a: argparse.Namespace) -> PagingSpec:
    return PagingSpec(
        style=a.pagination, page_size=a.page_size, size_param=a.size_param,
        page_param=a.page_param, first_page=a.first_page, offset_param=a.offset_param,
        cursor_param=a.cursor_param, cursor_field=a.cursor_field, next_field=a.next_field,
        records_path=a.records_path, has_more_field=a.has_more_field,
        total_field=a.total_field, stop_on_empty=a.stop_on_empty, max_pages=a.max_pages)


def extract(a: argparse.Namespace) -> dict[str, Any]:
    # Deferred: urllib3 and orjson cost ~0.1 s that `--help` must not pay. Without a
    # declared schema pyarrow is imported only by the converter process, after the fork.
    import gc

    from steps._core.http import HttpClient, HttpSettings, safe_url
    from steps._extract_http.auth import AuthSettings, credentials
    from steps._extract_http.converter import Converter
    from steps._extract_http.fetch import checked_pages
    from steps._extract_http.pagination import Pager

    spec = paging_spec(a)
    params = render_params(a.param, a.logical_date, spec.own_params())
    schema = None
    if a.schema:
        from steps._extract_http.columns import parse_schema

        schema = parse_schema(a.schema)  # a bad spec is refused before any request
    creds = credentials(AuthSettings.from_env())
    client = HttpClient(HttpSettings.from_env(), headers=creds.headers, auth=creds.basic)
    pager = Pager(spec, a.url, params)
    logger.info("fetching %s (%s pagination)", safe_url(a.url), spec.style,
                extra={"url": safe_url(a.url), "pagination": spec.style})
    # Pages are trees of short-lived dicts freed by reference counting; the cyclic
    # collector would rescan them thousands of times for nothing (~10% of the run).
    gc.disable()
    try:
        with Converter(schema, spec.records_path, a.out) as converter:
            for body in checked_pages(client, pager):
                converter.send(body)
            outcome = converter.finish()
    finally:
        gc.enable()
        client.close()
    retried = f"; {client.retries} requests retried" if client.retries else ""
    return {"rows": outcome["rows"], "pages": outcome["pages"], "columns": outcome["columns"],
            "http_retries": client.retries, "end": pager.end_reason,
            "note": f"{outcome['pages']:,} pages{retried}", "out": str(a.out)}


def main() -> None:
    p = runner.parser("extract_http", __doc__)
    add_options(p)
    args = p.parse_args()
    imports.keep_out("pandas")
    runner.run("extract_http", args, extract)


if __name__ == "__main__":
    main()
