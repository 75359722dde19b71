"""extract_http's pure parts: pagination and end markers, decoding, columns, auth, writing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from steps._core.errors import ConfigError, DataError
from steps._core.settings import Secret
from steps._extract_http.auth import AuthSettings, credentials
from steps._extract_http.columns import Columnizer, parse_schema
from steps._extract_http.decode import decode_body, records_at
from steps._extract_http.pagination import Pager, PagingSpec, link_next, render_params
from steps._extract_http.pipeline import write_pages

URL = "https://api.example.com/v1/orders"


def recs(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"id": i} for i in range(start, start + n)]


def walk(pager: Pager, pages: list[tuple[dict[str, Any], dict[str, str]]]) -> list[Any]:
    """Feed ``(body, headers)`` pages to a pager; the requests it made, ending with None."""
    made: list[Any] = [pager.first()]
    for body, headers in pages:
        made.append(pager.advance(body, headers, len(body.get("data", []))))
        if made[-1] is None:
            break
    return made


# --- pagination: the requests -------------------------------------------------------------

def test_page_style_counts_pages_with_configurable_names() -> None:
    spec = PagingSpec(style="page", page_size=2, page_param="p", size_param="n", first_page=0)
    made = walk(Pager(spec, URL, {"date": "2024-01-01"}),
                [({"data": recs(2), "has_more": True}, {}),
                 ({"data": recs(1), "has_more": False}, {})])
    assert [r.params if r else None for r in made] == [
        {"date": "2024-01-01", "n": "2", "p": "0"},
        {"date": "2024-01-01", "n": "2", "p": "1"}, None]


def test_offset_style_advances_by_the_records_received() -> None:
    # The server capped the page at 3 although 5 were asked; has_more says more follow.
    spec = PagingSpec(style="offset", page_size=5)
    made = walk(Pager(spec, URL, {}), [({"data": recs(3), "has_more": True}, {}),
                                      ({"data": recs(3), "has_more": False}, {})])
    assert [r.params["offset"] for r in made[:2]] == ["0", "3"]
    assert made[2] is None


def test_cursor_style_sends_back_the_cursor_from_a_dotted_field() -> None:
    spec = PagingSpec(style="cursor", cursor_field="meta.next", cursor_param="after")
    pager = Pager(spec, URL, {})
    assert pager.first().params == {}
    nxt = pager.advance({"data": recs(2), "meta": {"next": "abc"}}, {}, 2)
    assert nxt is not None and nxt.params == {"after": "abc"}
    assert pager.advance({"data": recs(1), "meta": {"next": None}}, {}, 1) is None
    assert pager.end_reason == "no next cursor"


def test_link_style_follows_the_link_header_and_resolves_relative_links() -> None:
    pager = Pager(PagingSpec(style="link", records_path=""), URL, {"q": "x"})
    assert pager.first() == pager.first() and pager.first().params == {"q": "x"}
    nxt = pager.advance([1], {"Link": '</v1/orders?after=2>; rel="next"'}, 2)
    assert nxt is not None and nxt.url == "https://api.example.com/v1/orders?after=2"
    assert nxt.params is None  # the link carries the whole query
    assert pager.advance([1], {}, 1) is None


def test_link_style_refuses_a_next_link_to_another_origin() -> None:
    pager = Pager(PagingSpec(style="link", next_field="next"), URL, {})
    with pytest.raises(DataError, match="another origin"):
        pager.advance({"data": [], "next": "https://evil.example.net/steal"}, {}, 0)


def test_link_header_parsing() -> None:
    header = ('<https://a/x?page=1>; rel="prev", <https://a/x?page=3>; rel="next", '
              '<https://a/x?page=9>; rel="last"')
    assert link_next(header) == "https://a/x?page=3"
    assert link_next('<https://a/y>; rel="next prefetch"') == "https://a/y"
    assert link_next('<https://a/x?page=1>; rel="prev"') is None
    assert link_next(None) is None


# --- pagination: when to stop -------------------------------------------------------------

@pytest.mark.parametrize(("body", "reason"), [
    ({"data": recs(1), "has_more": False}, "has_more is false"),
    ({"data": recs(1), "total": 5}, "reached the reported total of 5"),
])
def test_explicit_end_markers_stop_even_on_a_short_page(body: dict[str, Any], reason: str
                                                        ) -> None:
    pager = Pager(PagingSpec(style="page", page_size=4), URL, {})
    pager.fetched = 4
    assert pager.advance(body, {}, 1) is None
    assert pager.end_reason == reason


def test_a_short_page_without_end_marker_is_possible_truncation() -> None:
    pager = Pager(PagingSpec(style="page", page_size=100), URL, {})
    assert pager.advance({"data": recs(100)}, {}, 100) is not None  # full page: go on
    with pytest.raises(DataError, match=r"page 2 has 40 records, fewer than the page size 100"
                                        r".*truncated"):
        pager.advance({"data": recs(40)}, {}, 40)


def test_a_short_page_is_fine_when_the_server_says_more_follow() -> None:
    pager = Pager(PagingSpec(style="offset", page_size=100), URL, {})
    assert pager.advance({"data": recs(40), "total": 1000}, {}, 40) is not None


def test_an_empty_page_ends_only_when_the_user_opted_in() -> None:
    with pytest.raises(DataError, match="--stop-on-empty"):
        Pager(PagingSpec(page_size=10), URL, {}).advance({"data": []}, {}, 0)
    pager = Pager(PagingSpec(page_size=10, stop_on_empty=True), URL, {})
    assert pager.advance({"data": []}, {}, 0) is None
    assert pager.end_reason == "empty page"
    with pytest.raises(DataError, match="fewer than the page size"):  # short, not empty
        Pager(PagingSpec(page_size=10, stop_on_empty=True), URL, {}).advance(
            {"data": recs(3)}, {}, 3)


def test_a_missing_cursor_field_is_not_taken_as_the_end() -> None:
    pager = Pager(PagingSpec(style="cursor"), URL, {})
    with pytest.raises(DataError, match="no field 'next_cursor'"):
        pager.advance({"data": recs(2)}, {}, 2)


def test_has_more_true_with_a_null_cursor_is_contradictory() -> None:
    pager = Pager(PagingSpec(style="cursor"), URL, {})
    with pytest.raises(DataError, match="has_more is true but the next cursor is empty"):
        pager.advance({"data": recs(2), "has_more": True, "next_cursor": None}, {}, 2)


def test_malformed_markers_are_data_errors() -> None:
    pager = Pager(PagingSpec(), URL, {})
    with pytest.raises(DataError, match="'has_more' is 'no'"):
        pager.advance({"data": [], "has_more": "no"}, {}, 0)
    with pytest.raises(DataError, match="'total' is '12'"):
        Pager(PagingSpec(), URL, {}).advance({"data": [], "total": "12"}, {}, 0)


def test_max_pages_bounds_a_source_that_never_ends() -> None:
    pager = Pager(PagingSpec(style="cursor", max_pages=3), URL, {})
    for i in range(2):
        assert pager.advance({"data": [], "next_cursor": str(i)}, {}, 0) is not None
    with pytest.raises(DataError, match="more than 3 pages"):
        pager.advance({"data": [], "next_cursor": "x"}, {}, 0)


def test_bad_paging_options_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown pagination"):
        PagingSpec(style="scroll")
    with pytest.raises(ConfigError, match="page-size"):
        PagingSpec(page_size=0)


# --- parameters ---------------------------------------------------------------------------

def test_only_the_logical_date_placeholder_is_replaced() -> None:
    params = render_params(["day={logical_date}", "q={other}", "raw=a=b"], "2024-03-05", set())
    assert params == {"day": "2024-03-05", "q": "{other}", "raw": "a=b"}


@pytest.mark.parametrize(("items", "date", "message"), [
    (["novalue"], "2024-01-01", "name=value"),
    (["d={logical_date}"], None, "no --logical-date"),
    (["page=3"], "2024-01-01", "clashes with a pagination parameter"),
])
def test_bad_params_are_config_errors(items: list[str], date: str | None, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        render_params(items, date, PagingSpec().own_params())


# --- decoding -----------------------------------------------------------------------------

def test_decode_accepts_json_and_finds_dotted_records() -> None:
    body = decode_body(b'{"data": {"items": [{"id": 1}]}}', "application/json", "u")
    assert records_at(body, "data.items", "u") == [{"id": 1}]
    assert records_at([{"id": 2}], "", "u") == [{"id": 2}]


@pytest.mark.parametrize(("content", "ctype", "message"), [
    (b"<html><body>502 Bad Gateway</body></html>", "text/html", "HTML page"),
    (b"<!DOCTYPE html><p>maintenance</p>", "application/json", "HTML page"),
    (b'{"data": [{"id": 1}, {"id"', "application/json", "truncated JSON"),
    (b"upstream says no", "application/json", "not JSON"),
    (b"", "application/json", "empty body"),
])
def test_bad_bodies_get_one_clear_data_error(content: bytes, ctype: str, message: str) -> None:
    with pytest.raises(DataError, match=message) as info:
        decode_body(content, ctype, "http://h/x")
    assert "http://h/x" in str(info.value)


def test_json_mislabelled_as_html_is_still_json() -> None:
    assert decode_body(b'{"data": []}', "text/html", "u") == {"data": []}
    with pytest.raises(DataError, match="HTML page"):
        decode_body(b"Service Unavailable", "text/html; charset=utf-8", "u")


def test_records_path_missing_or_not_a_list() -> None:
    with pytest.raises(DataError, match=r"records path 'items' not found.*top level: data"):
        records_at({"data": []}, "items", "u")
    with pytest.raises(DataError, match="holds dict, not a list"):
        records_at({"data": {"a": 1}}, "data", "u")
    with pytest.raises(DataError, match=r"\(the body\) holds dict"):
        records_at({"data": []}, "", "u")


# --- columns ------------------------------------------------------------------------------

def test_schema_is_inferred_from_the_first_page_and_later_gaps_are_null() -> None:
    c = Columnizer()
    first = c.batch([{"id": 1, "nome": "a", "valor": 1.5}, {"id": 2, "nome": "b", "valor": 2.0}])
    assert first.schema == pa.schema([("id", pa.int64()), ("nome", pa.string()),
                                      ("valor", pa.float64())])
    later = c.batch([{"id": 3, "valor": 4}])  # nome missing; integral valor
    assert later.to_pylist() == [{"id": 3, "nome": None, "valor": 4.0}]


def test_a_column_appearing_later_is_named_in_the_error() -> None:
    c = Columnizer()
    c.batch([{"id": 1}])
    with pytest.raises(DataError, match="column 'surprise' first appears on page 2"):
        c.batch([{"id": 2, "surprise": True}])


def test_a_type_change_is_named_in_the_error() -> None:
    c = Columnizer()
    c.batch([{"id": 1, "valor": 10}])
    with pytest.raises(DataError, match="column 'valor' changed type from int64 to double"):
        c.batch([{"id": 2, "valor": 10.5}])
    with pytest.raises(DataError, match="column 'x' mixes types on page 1"):
        Columnizer().batch([{"x": 1}, {"x": "one"}])


@pytest.mark.parametrize("bad", [[1, 2], ["a"], [{"id": 1}, [1]], [{"id": 1}, None]])
def test_records_that_are_not_objects_are_refused(bad: list[Any]) -> None:
    with pytest.raises(DataError, match="not a JSON object"):
        Columnizer().batch(bad)
    later = Columnizer()
    later.batch([{"id": 0}])
    with pytest.raises(DataError, match="not a JSON object"):
        later.batch(bad)  # a later page takes the fast path first


def test_declared_schema_casts_values_and_ignores_other_fields() -> None:
    c = Columnizer(parse_schema("id:int64, created_at:timestamp, valor:float64"))
    b = c.batch([{"id": 1, "created_at": "2024-03-05T10:00:00", "valor": 3, "extra": "x"}])
    assert b.schema.names == ["id", "created_at", "valor"]
    assert b.to_pylist() == [{"id": 1, "created_at": dt.datetime(2024, 3, 5, 10),
                              "valor": 3.0}]
    with pytest.raises(DataError, match=r"column 'id' on page 2: cannot read double values"):
        c.batch([{"id": 1.5}])


@pytest.mark.parametrize(("spec", "message"), [
    ("id:int64,id:string", "each column once"), ("id:uuid", "expected name:type"),
    ("id", "expected name:type"), ("", "each column once")])
def test_bad_schema_specs_are_config_errors(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_schema(spec)


# --- writing ------------------------------------------------------------------------------

def test_pages_are_written_in_order_and_all_null_columns_settle(tmp_path: Path) -> None:
    pages = [[{"id": 1, "note": None}], [], [{"id": 2, "note": None}], [{"id": 3, "note": "x"}]]
    out = tmp_path / "o.parquet"
    outcome = write_pages(iter(pages), Columnizer(), out)
    table = pq.read_table(out)
    assert (outcome.rows, outcome.pages) == (3, 4)
    assert table.schema.field("note").type == pa.string()
    assert table.to_pylist() == [{"id": 1, "note": None}, {"id": 2, "note": None},
                                 {"id": 3, "note": "x"}]


def test_a_failure_on_a_later_page_leaves_no_output(tmp_path: Path) -> None:
    def pages() -> Any:
        yield [{"id": i} for i in range(200_000)]  # more than a row group: writes begin
        raise DataError("page 2 is broken")

    out = tmp_path / "o.parquet"
    with pytest.raises(DataError, match="page 2 is broken"):
        write_pages(pages(), Columnizer(), out)
    assert list(tmp_path.iterdir()) == []


def test_no_records_at_all_writes_an_empty_file_with_the_declared_columns(tmp_path: Path
                                                                           ) -> None:
    out = tmp_path / "o.parquet"
    write_pages(iter([[]]), Columnizer(parse_schema("id:int64")), out)
    assert pq.read_table(out).schema.names == ["id"] and pq.read_table(out).num_rows == 0


def test_row_groups_are_whole_and_repetitive_columns_use_dictionaries(tmp_path: Path) -> None:
    rows = [{"id": i, "cat": ("a", "b")[i % 2]} for i in range(300_000)]
    out = tmp_path / "o.parquet"
    write_pages(iter(rows[i:i + 10_000] for i in range(0, len(rows), 10_000)),
                Columnizer(), out)
    meta = pq.ParquetFile(out).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [
        131072, 131072, 300_000 - 2 * 131072]
    group = meta.row_group(0)
    assert "RLE_DICTIONARY" in group.column(1).encodings  # cat: 2 values
    assert "RLE_DICTIONARY" not in group.column(0).encodings  # id: all distinct
    assert orjson.loads(orjson.dumps(pq.read_table(out).slice(0, 3).to_pylist())) == rows[:3]


# --- auth ---------------------------------------------------------------------------------

def test_credentials_for_each_scheme() -> None:
    env = {"CADENCIA_HTTP_AUTH": "bearer", "CADENCIA_HTTP_TOKEN": "t0k"}
    assert credentials(AuthSettings.from_env(env)).headers == {"Authorization": "Bearer t0k"}
    env = {"CADENCIA_HTTP_AUTH": "basic", "CADENCIA_HTTP_USERNAME": "u",
           "CADENCIA_HTTP_PASSWORD": "p"}
    assert credentials(AuthSettings.from_env(env)).basic == ("u", "p")
    env = {"CADENCIA_HTTP_AUTH": "api-key", "CADENCIA_HTTP_API_KEY": "k"}
    assert credentials(AuthSettings.from_env(env)).headers == {"X-API-Key": "k"}
    assert credentials(AuthSettings.from_env({})).headers == {}


@pytest.mark.parametrize(("env", "missing"), [
    ({"CADENCIA_HTTP_AUTH": "bearer"}, "CADENCIA_HTTP_TOKEN"),
    ({"CADENCIA_HTTP_AUTH": "basic", "CADENCIA_HTTP_USERNAME": "u"}, "CADENCIA_HTTP_PASSWORD"),
    ({"CADENCIA_HTTP_AUTH": "api-key", "CADENCIA_HTTP_API_KEY": ""}, "CADENCIA_HTTP_API_KEY"),
    ({"CADENCIA_HTTP_AUTH": "oauth"}, "CADENCIA_HTTP_AUTH"),
])
def test_a_missing_secret_is_a_config_error_naming_it(env: dict[str, str], missing: str
                                                      ) -> None:
    with pytest.raises(ConfigError, match=missing):
        credentials(AuthSettings.from_env(env))


def test_secrets_do_not_show_in_reprs() -> None:
    settings = AuthSettings.from_env({"CADENCIA_HTTP_AUTH": "bearer",
                                      "CADENCIA_HTTP_TOKEN": "t0k-value"})
    assert isinstance(settings.token, Secret)
    assert "t0k-value" not in repr(settings)
    assert "t0k-value" not in repr(credentials(settings))
