"""The load step's pure parts: Arrow -> SQL types, drift checks, DDL, quoting, batching."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from steps._core.errors import ConfigError, DataError
from steps._load import ddl, ledger
from steps._load.source import Checksum, Conformer, Source
from steps._load.spec import make_spec
from steps.load import check_columns


def spec_args(**over: object) -> dict[str, object]:
    base: dict[str, object] = dict(
        table="orders", mode="replace-partition", keys=[], partition_column="logical_date",
        logical_date="2026-11-26", run_id="r1", pipeline="cadencia-etl",
        ledger_table="cadencia_load_ledger", batch_rows=1000)
    return {**base, **over}


def test_new_columns_get_the_types_the_binary_encoder_writes() -> None:
    schema = pa.schema([
        ("i8", pa.int8()), ("i32", pa.int32()), ("i64", pa.int64()), ("u32", pa.uint32()),
        ("f32", pa.float32()), ("f64", pa.float64()), ("s", pa.string()),
        ("ls", pa.large_string()), ("b", pa.bool_()), ("d", pa.date32()),
        ("ts", pa.timestamp("us")), ("tz", pa.timestamp("ms", "America/Sao_Paulo")),
        ("dec", pa.decimal128(12, 2)), ("bin", pa.binary()), ("t", pa.time64("us")),
        ("cat", pa.dictionary(pa.int32(), pa.string())), ("ns", pa.timestamp("ns")),
        ("nothing", pa.null()),
    ])
    cols = {c.name: (c.pg_type, c.cast) for c in ddl.new_columns(schema)}
    assert cols == {
        "i8": ("smallint", None), "i32": ("integer", None), "i64": ("bigint", None),
        "u32": ("bigint", None), "f32": ("real", None), "f64": ("double precision", None),
        "s": ("text", None), "ls": ("text", None), "b": ("boolean", None), "d": ("date", None),
        "ts": ("timestamp without time zone", None),
        "tz": ("timestamp with time zone", None), "dec": ("numeric(12,2)", None),
        "bin": ("bytea", None), "t": ("time without time zone", None),
        "cat": ("text", pa.string()), "ns": ("timestamp without time zone", pa.timestamp("us")),
        "nothing": ("text", pa.string()),
    }


def test_a_type_the_load_cannot_store_is_bad_data_naming_the_column() -> None:
    with pytest.raises(DataError, match="'address'"):
        ddl.new_columns(pa.schema([("address", pa.struct([("street", pa.string())]))]))


@pytest.mark.parametrize(("src", "target", "expected"), [
    (pa.int64(), "bigint", None),
    (pa.int32(), "bigint", pa.int64()),
    (pa.uint16(), "integer", pa.int32()),
    (pa.int64(), "integer", False),
    (pa.uint32(), "integer", False),
    (pa.float32(), "double precision", pa.float64()),
    (pa.int32(), "double precision", pa.float64()),
    (pa.int64(), "double precision", False),
    (pa.float64(), "real", False),
    (pa.float64(), "text", False),
    (pa.string(), "character varying(20)", None),
    (pa.large_string(), "text", None),
    (pa.string(), "integer", False),
    (pa.timestamp("us"), "timestamp without time zone", None),
    (pa.timestamp("us"), "timestamp with time zone", False),
    (pa.timestamp("us", "UTC"), "timestamp without time zone", False),
    (pa.date32(), "timestamp without time zone", pa.timestamp("us")),
    (pa.decimal128(10, 2), "numeric(12,4)", None),
    (pa.int32(), "numeric", pa.decimal128(20, 0)),
    (pa.null(), "bigint", pa.int64()),
    (pa.string(), "jsonb", False),
])
def test_existing_column_types_accept_only_lossless_widening(
        src: pa.DataType, target: str, expected: object) -> None:
    assert ddl.target_cast(src, target) == expected


def test_drift_against_an_existing_table_names_the_column() -> None:
    schema = pa.schema([("id", pa.int32()), ("valor", pa.float64())])
    cols = ddl.existing_columns(schema, {"id": "bigint", "valor": "double precision"}, "t")
    assert [(c.name, c.cast) for c in cols] == [("id", pa.int64()), ("valor", None)]
    with pytest.raises(DataError, match="'valor' has type double, not compatible with t"):
        ddl.existing_columns(schema, {"id": "bigint", "valor": "text"}, "t")
    with pytest.raises(DataError, match="'valor' does not exist in t"):
        ddl.existing_columns(schema, {"id": "bigint"}, "t")


def test_create_table_quotes_names_keys_become_the_primary_key_and_the_date_gets_brin() -> None:
    cols = ddl.new_columns(pa.schema([("id", pa.int64()), ("Nome", pa.string())]))
    assert ddl.create_table_sql("sales", "orders", cols, "logical_date", ("id",),
                                partition_index=True) == [
        'CREATE TABLE "sales"."orders" ("id" bigint, "Nome" text, '
        '"logical_date" date NOT NULL, PRIMARY KEY ("id"))',
        'CREATE INDEX ON "sales"."orders" USING brin ("logical_date")',
    ]
    assert ddl.create_table_sql(None, "orders", cols, "dia", (), partition_index=True,
                                sqlite=True) == [
        'CREATE TABLE "orders" ("id" INTEGER, "Nome" TEXT, "dia" TEXT NOT NULL)',
        'CREATE INDEX "orders_dia_idx" ON "orders" ("dia")',
    ]


def test_an_injected_column_name_never_reaches_sql() -> None:
    with pytest.raises(ConfigError, match="invalid column name"):
        ddl.new_columns(pa.schema([('x" text); drop table y; --', pa.int64())]))
    with pytest.raises(ConfigError, match="invalid column name"):
        check_columns(["id", "a b"], "logical_date", ())


@pytest.mark.parametrize(("over", "message"), [
    ({"table": "x; drop table y"}, "invalid table name"),
    ({"table": "a.b.c"}, "expected table or schema.table"),
    ({"mode": "upsert"}, "needs at least one --key"),
    ({"keys": ["id"]}, "applies to --mode upsert only"),
    ({"mode": "upsert", "keys": ["id", "id"]}, "names a column twice"),
    ({"mode": "upsert", "keys": ["1d"]}, "invalid key column"),
    ({"partition_column": "dt-day"}, "invalid partition column"),
    ({"ledger_table": "orders"}, "must differ from --table"),
    ({"batch_rows": 0}, "must be positive"),
])
def test_bad_options_are_configuration_errors(over: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        make_spec(**spec_args(**over))  # type: ignore[arg-type]


def test_the_input_may_not_carry_the_partition_column_and_must_carry_the_keys() -> None:
    check_columns(["id", "v"], "logical_date", ("id",))
    with pytest.raises(ConfigError, match="already has a column 'logical_date'"):
        check_columns(["id", "logical_date"], "logical_date", ())
    with pytest.raises(ConfigError, match="--key column"):
        check_columns(["id"], "logical_date", ("code",))


def test_conformer_casts_appends_the_partition_date_and_an_ordinal() -> None:
    batch = pa.record_batch({"id": pa.array([1, 2], pa.int32()), "v": pa.array(["a", "b"])})
    cols = ddl.existing_columns(batch.schema, {"id": "bigint", "v": "text"}, "t")
    conform = Conformer(cols, "dia", dt.date(2026, 11, 26), with_ordinal=True)
    first, second = conform(batch), conform(batch.slice(1))
    assert first.schema.names == ["id", "v", "dia", "_cadencia_ord"]
    assert first.column(0).type == pa.int64()
    assert first.to_pylist()[1] == {"id": 2, "v": "b", "dia": dt.date(2026, 11, 26),
                                    "_cadencia_ord": 1}
    assert second.to_pylist() == [{"id": 2, "v": "b", "dia": dt.date(2026, 11, 26),
                                   "_cadencia_ord": 2}]
    text = Conformer(cols, "dia", "2026-11-26")(batch)
    assert text.column(2).to_pylist() == ["2026-11-26", "2026-11-26"]


def test_nanoseconds_are_truncated_to_the_microseconds_postgresql_keeps() -> None:
    batch = pa.record_batch({"at": pa.array([1_700_000_000_123_456_789], pa.timestamp("ns"))})
    conform = Conformer(ddl.new_columns(batch.schema), "dia", dt.date(2026, 1, 1))
    assert conform(batch).column(0).to_pylist() == [
        dt.datetime(2023, 11, 14, 22, 13, 20, 123456)]


def test_a_value_that_does_not_fit_the_target_is_bad_data() -> None:
    batch = pa.record_batch({"n": pa.array([1, None, 3_000_000_000], pa.int64())})
    conform = Conformer([ddl.Column("n", "integer", pa.int32())], "dia", dt.date(2026, 1, 1))
    with pytest.raises(DataError, match="'n' does not fit integer"):
        conform(batch)


def test_batches_group_small_row_groups_and_split_big_ones(tmp_path: Path) -> None:
    table = pa.table({"id": pa.array(range(1000), pa.int64())})
    pq.write_table(table, tmp_path / "small.parquet", row_group_size=100)
    pq.write_table(table, tmp_path / "big.parquet", row_group_size=1000)
    small = [b.num_rows for b in Source(tmp_path / "small.parquet", 250).batches()]
    big = [b.num_rows for b in Source(tmp_path / "big.parquet", 300).batches()]
    assert small == [300, 300, 300, 100]
    assert big == [300, 300, 300, 100]
    ids = [i for b in Source(tmp_path / "small.parquet", 250).batches()
           for i in b.column(0).to_pylist()]
    assert ids == list(range(1000))


def test_checksum_is_the_sha256_of_the_input_file(tmp_path: Path) -> None:
    path = tmp_path / "in.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3]}), path)
    assert Checksum(str(path)).result() == "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_missing_input_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="input file not found"):
        Source(tmp_path / "absent.parquet", 10)


def test_ledger_upsert_keys_on_pipeline_target_date_and_run() -> None:
    sql = ledger.upsert_sql("meta", "ledger", sqlite=False)
    assert sql.startswith('INSERT INTO "meta"."ledger" (pipeline, target, logical_date, run_id')
    assert "ON CONFLICT (pipeline, target, logical_date, run_id) DO UPDATE" in sql
    assert sql.count("%s") == len(ledger.COLUMNS)
    assert ledger.upsert_sql(None, "ledger", sqlite=True).count("?") == len(ledger.COLUMNS)
    with pytest.raises(ConfigError):
        ledger.create_sql(None, "ledger; drop table x", sqlite=False)
