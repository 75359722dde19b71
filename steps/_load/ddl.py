"""Arrow types -> SQL column types, schema-drift checks, and CREATE TABLE statements.

Binary COPY sends each value in the receiving column's own binary format, so an input
column must be encoded exactly as the target column's type expects. A new table gets the
types pgpq's encoder emits for each Arrow type; an existing table dictates them, and an
input column is cast only when the cast is a lossless widening (int32 -> bigint, float ->
double precision, date -> timestamp). Anything else is schema drift: a DataError naming
the column. All names pass :func:`steps._core.db.quote_ident` before they reach SQL.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence

import pyarrow as pa

from steps._core.db import check_identifier, quote_ident
from steps._core.errors import DataError


@dataclasses.dataclass(frozen=True)
class Column:
    """One column to load: ``cast`` is applied to input batches when not None."""

    name: str
    pg_type: str
    cast: pa.DataType | None = None


def encodable(name: str, t: pa.DataType) -> pa.DataType:
    """The Arrow type to hand pgpq for an input column (what it can encode losslessly)."""
    if pa.types.is_dictionary(t):
        return encodable(name, t.value_type)
    if pa.types.is_timestamp(t) and t.unit == "ns":
        return pa.timestamp("us", t.tz)
    if pa.types.is_time64(t) and t.unit == "ns":
        return pa.time64("us")
    if pa.types.is_duration(t) and t.unit == "ns":
        return pa.duration("us")
    if pa.types.is_date64(t):
        return pa.date32()
    if pa.types.is_decimal256(t) and t.precision <= 38:
        return pa.decimal128(t.precision, t.scale)
    if pa_type_name(t) is None:
        raise DataError(f"column {name!r} has type {t}, which the load cannot store",
                        column=name)
    return t


def pa_type_name(t: pa.DataType) -> str | None:
    """The PostgreSQL type (``format_type`` spelling) a new column of Arrow type ``t`` gets."""
    simple = {
        pa.bool_(): "boolean", pa.int8(): "smallint", pa.int16(): "smallint",
        pa.uint8(): "smallint", pa.int32(): "integer", pa.uint16(): "integer",
        pa.int64(): "bigint", pa.uint32(): "bigint", pa.uint64(): "numeric(20,0)",
        pa.float16(): "real", pa.float32(): "real", pa.float64(): "double precision",
        pa.string(): "text", pa.large_string(): "text", pa.string_view(): "text",
        pa.binary(): "bytea", pa.large_binary(): "bytea", pa.date32(): "date",
        pa.null(): "text",
    }
    if t in simple:
        return simple[t]
    if pa.types.is_fixed_size_binary(t):
        return "bytea"
    if pa.types.is_decimal128(t):
        return f"numeric({t.precision},{t.scale})"
    if pa.types.is_timestamp(t) and t.unit != "ns":
        return "timestamp with time zone" if t.tz else "timestamp without time zone"
    if (pa.types.is_time32(t) or pa.types.is_time64(t)) and t.unit != "ns":
        return "time without time zone"
    if pa.types.is_duration(t) and t.unit != "ns":
        return "interval"
    return None


def new_columns(schema: pa.Schema) -> list[Column]:
    """Columns of a table created for ``schema``."""
    out = []
    for field in schema:
        check_identifier(field.name, "column name")
        t = encodable(field.name, field.type)
        cast = pa.string() if pa.types.is_null(t) else (t if t != field.type else None)
        out.append(Column(field.name, pa_type_name(t) or "text", cast))
    return out


_INTS = {pa.int8(): (8, True), pa.int16(): (16, True), pa.int32(): (32, True),
         pa.int64(): (64, True), pa.uint8(): (8, False), pa.uint16(): (16, False),
         pa.uint32(): (32, False), pa.uint64(): (64, False)}
_PG_INTS = {"smallint": (16, pa.int16()), "integer": (32, pa.int32()),
            "bigint": (64, pa.int64())}


def _fits_int(src: pa.DataType, bits: int) -> bool:
    width, signed = _INTS[src]
    return width < bits or (width == bits and signed)


def target_cast(src: pa.DataType, pg_type: str) -> pa.DataType | bool | None:
    """How to feed an input column of Arrow type ``src`` into a ``pg_type`` column.

    Returns None (encode as is), an Arrow type to cast to, or False (incompatible).
    """
    base = re.sub(r"\(.*?\)", "", pg_type).strip()
    if pa.types.is_null(src):
        return _NULL_FILL.get(base, False)
    if base in _PG_INTS:
        bits, want = _PG_INTS[base]
        return False if src not in _INTS or not _fits_int(src, bits) else (
            None if src == want else want)
    if base in ("real", "double precision"):
        # Only integers that the float's mantissa holds exactly.
        want, int_bits, floats = ((pa.float32(), 16, (pa.float16(),)) if base == "real"
                                  else (pa.float64(), 32, (pa.float16(), pa.float32())))
        if src == want:
            return None
        if src in floats or (src in _INTS and _INTS[src][0] <= int_bits):
            return want
        return False
    if base == "numeric":
        if pa.types.is_decimal128(src) or src == pa.uint64():
            return None
        return pa.decimal128(20, 0) if src in _INTS else False
    if base in ("text", "character varying", "character", "varchar", "bpchar", "name"):
        return None if src in (pa.string(), pa.large_string(), pa.string_view()) else False
    if base == "bytea":
        ok = src in (pa.binary(), pa.large_binary()) or pa.types.is_fixed_size_binary(src)
        return None if ok else False
    if base == "boolean":
        return None if src == pa.bool_() else False
    if base == "date":
        return None if src == pa.date32() else False
    if base in ("timestamp without time zone", "timestamp with time zone"):
        want_tz = base.endswith("with time zone")
        if pa.types.is_timestamp(src):
            return None if bool(src.tz) == want_tz else False
        return pa.timestamp("us") if src == pa.date32() and not want_tz else False
    if base == "time without time zone":
        return None if pa.types.is_time32(src) or pa.types.is_time64(src) else False
    if base == "interval":
        return None if pa.types.is_duration(src) else False
    return False


_NULL_FILL = {
    "smallint": pa.int16(), "integer": pa.int32(), "bigint": pa.int64(), "real": pa.float32(),
    "double precision": pa.float64(), "boolean": pa.bool_(), "text": pa.string(),
    "character varying": pa.string(), "character": pa.string(), "bytea": pa.binary(),
    "date": pa.date32(), "numeric": pa.decimal128(38, 0),
    "timestamp without time zone": pa.timestamp("us"),
    "timestamp with time zone": pa.timestamp("us", "UTC"),
    "time without time zone": pa.time64("us"), "interval": pa.duration("us"),
}


def existing_columns(schema: pa.Schema, target: Mapping[str, str], table: str) -> list[Column]:
    """Columns for loading ``schema`` into an existing table whose types are ``target``."""
    out = []
    for field in schema:
        check_identifier(field.name, "column name")
        if field.name not in target:
            raise DataError(
                f"schema drift: input column {field.name!r} does not exist in {table}",
                column=field.name, table=table)
        src = encodable(field.name, field.type)
        how = target_cast(src, target[field.name])
        if how is False:
            raise DataError(
                f"schema drift: input column {field.name!r} has type {field.type}, not "
                f"compatible with {table}.{field.name} {target[field.name]}",
                column=field.name, table=table)
        cast = how if isinstance(how, pa.DataType) else (src if src != field.type else None)
        out.append(Column(field.name, target[field.name], cast))
    return out


def create_table_sql(schema: str | None, name: str, columns: Sequence[Column],
                     partition_column: str, keys: Sequence[str], *, partition_index: bool,
                     sqlite: bool = False) -> list[str]:
    """``CREATE TABLE`` (and the partition index) for ``columns`` plus the partition column.

    Upsert keys become the PRIMARY KEY (a unique constraint that also refuses NULL keys).
    The partition index makes deleting one day cheap on a large table. PostgreSQL gets a
    BRIN index: a B-tree doubled the COPY time in the load benchmark, BRIN costs little,
    and daily loads arrive in date order, which is what BRIN is good at.
    """
    prefix = quote_ident(schema, "schema name") + "." if schema else ""
    table_sql = prefix + quote_ident(name, "table name")
    parts = [f"{quote_ident(c.name, 'column name')} {sql_type(c.pg_type, sqlite)}"
             for c in columns]
    part = quote_ident(partition_column, "partition column")
    parts.append(f"{part} {'TEXT' if sqlite else 'date'} NOT NULL")
    if keys:
        parts.append("PRIMARY KEY (" + ", ".join(quote_ident(k, "key column") for k in keys)
                     + ")")
    stmts = [f"CREATE TABLE {table_sql} ({', '.join(parts)})"]
    if partition_index and sqlite:
        index = quote_ident(_fit(f"{name}_{partition_column}", 59) + "_idx", "index name")
        stmts.append(f"CREATE INDEX {prefix}{index} ON {quote_ident(name)} ({part})")
    elif partition_index:
        stmts.append(f"CREATE INDEX ON {table_sql} USING brin ({part})")
    return stmts


def _fit(text: str, max_bytes: int) -> str:
    """``text`` cut to ``max_bytes`` of UTF-8 (identifier limits count bytes, not letters)."""
    return text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore")


def sql_type(pg_type: str, sqlite: bool) -> str:
    """The column type as written in DDL (SQLite gets its type affinities)."""
    if not sqlite:
        return pg_type
    base = re.sub(r"\(.*?\)", "", pg_type).strip()
    if base in ("smallint", "integer", "bigint", "boolean", "interval"):
        return "INTEGER"
    if base in ("real", "double precision"):
        return "REAL"
    if base == "numeric":
        return "NUMERIC"
    if base == "bytea":
        return "BLOB"
    return "TEXT"
