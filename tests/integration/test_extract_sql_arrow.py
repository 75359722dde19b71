"""extract_sql's PostgreSQL fast path (ADBC, binary COPY into Arrow) on a real server.

The SQLAlchemy path is the reference: for the types the fast path takes, both must write
the same Arrow types and values; for the others the step falls back to SQLAlchemy.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import psycopg
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from steps.extract_sql import sqlalchemy_batches
from tests.support import StepResult, run_step

FAST = "reading through ADBC"
SLOW = "reading through SQLAlchemy"


def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def source(pg_url: str) -> str:
    """``typed``: one row per case of every type the fast path takes, plus all-NULLs."""
    with psycopg.connect(conninfo(pg_url), autocommit=True) as conn:
        conn.execute("""CREATE TABLE typed (id bigint, small smallint, normal integer,
            r real, d double precision, price numeric(10, 2), free numeric, t text,
            v varchar(8), c char(3), b boolean, day date, ts timestamp, tz timestamptz,
            tm time, raw bytea, u uuid, doc jsonb)""")
        conn.execute("""INSERT INTO typed VALUES
            (1, -3, 70000, 1.1, 2.5, 12.34, 1.5, 'ação', 'ab', 'c', true, '2026-11-26',
             '2026-11-26 03:04:05.123456', '2026-11-26 03:04:05+00', '01:02:03', '\\x0102',
             'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1}'),
            (2, 32767, -1, -0.3, 1e300, -99999999.99, 123.456, '', NULL, NULL, false,
             '1970-01-01', '1900-01-01 00:00:00', '2000-01-01 12:00:00-03', '23:59:59.999999',
             '\\x', NULL, '{"a": 2}'),
            (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, NULL)""")
        conn.execute("CREATE TABLE sales (id bigint, region text, day date, "
                     "at timestamptz)")
        conn.execute("""INSERT INTO sales SELECT i, (ARRAY['north', 'south', 'east'])[i % 3 + 1],
            DATE '2026-11-25' + (i % 2), TIMESTAMPTZ '2026-11-25 00:00:00+00' + i * INTERVAL '1 min'
            FROM generate_series(1, 3000) i""")
    return pg_url


def extract(url: str, out: Path, *args: str) -> StepResult:
    return run_step("extract_sql", "--out", str(out), "--logical-date", "2026-11-26", *args,
                    env={"CADENCIA_SOURCE_DB_URL": url}, timeout=60)


def messages(result: StepResult) -> str:
    return "\n".join(str(r["message"]) for r in result.logs)


def rows(url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(conninfo(url)) as conn:
        return conn.execute(sql, params).fetchall()


def reference(url: str, sql: str) -> pa.Table:
    """What the SQLAlchemy path writes for ``sql`` (settled as the step settles it)."""
    from steps.extract_sql import settle_schema

    batches = list(sqlalchemy_batches(url, sql, {}, 1000, {}, ()))
    schema = settle_schema(batches)
    return pa.Table.from_batches([b.cast(schema) for b in batches])


FAST_COLUMNS = "id, small, normal, r, d, price, free, t, v, c, b, day, ts, tz, tm, raw, u"


def test_the_fast_path_writes_the_types_and_values_the_sqlalchemy_path_wrote(
        source: str, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    sql = f"SELECT {FAST_COLUMNS} FROM typed ORDER BY id"
    result = extract(source, out, "--query", sql)
    assert result.code == 0, result
    assert FAST in messages(result) and SLOW not in messages(result)
    table = pq.read_table(out)
    expected = reference(source, sql)
    assert table.schema == expected.schema
    assert table.to_pylist() == expected.to_pylist()
    # the types a user sees downstream, spelled out
    types = {f.name: str(f.type) for f in table.schema}
    assert types["small"] == types["normal"] == "int64"
    assert types["price"] == "decimal128(38, 2)" and types["free"] == "decimal128(38, 3)"
    assert types["tz"].startswith("timestamp[us, tz=") and types["ts"] == "timestamp[us]"
    assert table.column("r").to_pylist()[:2] == [1.1, -0.3]  # real by its text, not 1.100000023


def test_a_column_of_another_type_falls_back_to_sqlalchemy(source: str, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    sql = "SELECT id, doc FROM typed ORDER BY id"
    result = extract(source, out, "--query", sql)
    assert result.code == 0, result
    assert "column 'doc' has type jsonb" in messages(result)
    assert pq.read_table(out).to_pylist() == reference(source, sql).to_pylist()


def test_the_column_contract_keeps_only_the_named_columns_in_their_order(
        source: str, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    # doc (jsonb) is not kept, so it does not send the query to the slow path
    result = extract(source, out, "--query", "SELECT * FROM typed ORDER BY id",
                     "--columns", "tz,id,price")
    assert result.code == 0, result
    assert FAST in messages(result)
    assert pq.read_table(out).schema.names == ["tz", "id", "price"]


def test_a_missing_contract_column_is_schema_drift_65_before_any_row(source: str,
                                                                     tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    result = extract(source, out, "--query", "SELECT id, t FROM typed",
                     "--columns", "id,categoria")
    assert result.code == 65, result
    assert "'categoria'" in str(result.errors[0]["message"])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("value", [
    "south' OR '1'='1", "x'); DROP TABLE sales; --", "$1", "\\'; SELECT 1; --",
    "') TO STDOUT; COPY sales FROM STDIN; --", "current_setting('is_superuser')",
    "line\nbreak", "ação 東京 🙂", "",
])
def test_a_hostile_param_value_is_only_ever_a_value(source: str, tmp_path: Path,
                                                    value: str) -> None:
    with psycopg.connect(conninfo(source), autocommit=True) as conn:
        conn.execute("INSERT INTO sales VALUES (-1, %s, '2026-11-26', now())", (value,))
    out = tmp_path / "out.parquet"
    result = extract(source, out, "--query",
                     "SELECT id, region FROM sales WHERE region = :region ORDER BY id",
                     "--param", f"region={value}")
    assert result.code == 0, result
    assert FAST in messages(result)
    assert pq.read_table(out).to_pylist() == [{"id": -1, "region": value}]
    assert rows(source, "SELECT count(*) FROM sales") == [(3001,)]


def test_params_take_the_type_the_server_infers_and_the_date_is_a_date(
        source: str, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    # :low compares with a bigint, :logical_date with a timestamptz and in date arithmetic,
    # and one :name used twice is one value
    sql = ("SELECT id FROM sales WHERE id >= :low AND id < :low + 5 "
           "AND at >= :logical_date - 1 AND day = :logical_date ORDER BY id")
    result = extract(source, out, "--query", sql, "--param", "low=100")
    assert result.code == 0, result
    expected = rows(source, "SELECT id FROM sales WHERE id >= 100 AND id < 105 "
                            "AND day = '2026-11-26' ORDER BY id")
    assert pq.read_table(out).column("id").to_pylist() == [r[0] for r in expected]


def test_an_escaped_colon_and_casts_are_not_parameters(source: str, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    result = extract(source, out, "--query",
                     "SELECT 'a\\:b' AS s, id::text AS t FROM sales WHERE id = 1")
    assert result.code == 0, result
    assert pq.read_table(out).to_pylist() == [{"s": "a:b", "t": "1"}]


def test_a_query_file_ending_with_a_semicolon_or_a_comment_runs(source: str,
                                                                tmp_path: Path) -> None:
    for i, text in enumerate(["SELECT id FROM sales WHERE id = 7;\n\n",
                              "SELECT id FROM sales\nWHERE id = 7 -- the seventh"]):
        query, out = tmp_path / f"q{i}.sql", tmp_path / f"out{i}.parquet"
        query.write_text(text)
        result = extract(source, out, "--query-file", str(query))
        assert result.code == 0, result
        assert pq.read_table(out).to_pylist() == [{"id": 7}]


def test_a_param_the_query_uses_but_nobody_gave_is_78(source: str, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    result = extract(source, out, "--query", "SELECT id FROM sales WHERE region = :region")
    assert result.code == 78, result
    assert "--param region=" in str(result.errors[0]["message"])


def test_an_empty_result_keeps_its_columns_and_their_types(source: str,
                                                           tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    result = extract(source, out, "--query",
                     "SELECT id, small, price, tz, t FROM typed WHERE id < 0")
    assert result.code == 0, result
    table = pq.read_table(out)
    assert table.num_rows == 0
    # the SQLAlchemy path could only write null-typed columns here (no values to infer from)
    assert [str(f.type) for f in table.schema] == [
        "int64", "int64", "decimal128(38, 2)", str(table.schema.field("tz").type), "string"]
    assert str(table.schema.field("tz").type).startswith("timestamp[us, tz=")


def test_chunks_are_exact_whatever_the_driver_batch(source: str, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    result = extract(source, out, "--query", "SELECT id, region FROM sales ORDER BY id",
                     "--chunk-rows", "1000")
    assert result.code == 0, result
    meta = pq.ParquetFile(out).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [1000] * 3
    assert pq.read_table(out).column("id").to_pylist() == list(range(1, 3001))


@pytest.mark.parametrize(("sql", "code", "needle"), [
    ("SELECT 1 / (id - 2000) AS x FROM sales", 65, "division by zero"),  # mid-stream
    ("SELECT 'infinity'::timestamp AS ts", 65, "infinite timestamp"),
    ("SELECT id, '-infinity'::timestamptz AS ts FROM sales", 65, "infinite timestamptz"),
    ("SELECT 'infinity'::date AS d", 65, "infinite date"),
    ("SELECT 'NaN'::numeric AS n", 65, "does not fit decimal128"),
    ("DELETE FROM sales WHERE id < 10 RETURNING id", 78, "must be a SELECT"),
    ("SELECT id FROM no_such_table", 78, 'relation "no_such_table" does not exist'),
    ("SELEC id FROM sales", 78, "syntax error"),
])
def test_errors_keep_their_classes_on_the_fast_path(source: str, tmp_path: Path, sql: str,
                                                    code: int, needle: str) -> None:
    out = tmp_path / "out.parquet"
    result = extract(source, out, "--query", sql)
    assert result.code == code, result
    assert len(result.errors) == 1 and needle in str(result.errors[0]["message"])
    assert list(tmp_path.iterdir()) == []
    assert rows(source, "SELECT count(*) FROM sales") == [(3000,)]


def test_the_fast_path_never_leaves_a_transaction_open(source: str, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    assert extract(source, out, "--query", "SELECT id FROM sales").code == 0
    database = source.rsplit("/", 1)[1]
    assert rows(source, "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
                        "AND state LIKE 'idle in transaction%%'", database) == [(0,)]


def test_a_timestamptz_is_labelled_with_the_session_zone(source: str, tmp_path: Path) -> None:
    out = tmp_path / "out.parquet"
    url = source + "?options=-c%20TimeZone%3DAmerica/Sao_Paulo"
    result = extract(url, out, "--query", "SELECT tz FROM typed WHERE id = 1")
    assert result.code == 0, result
    table = pq.read_table(out)
    assert table.schema.field("tz").type == pa.timestamp("us", tz="America/Sao_Paulo")
    assert table.column("tz")[0].as_py() == dt.datetime(2026, 11, 26, 3, 4, 5,
                                                         tzinfo=dt.timezone.utc)
