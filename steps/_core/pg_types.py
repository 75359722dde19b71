"""PostgreSQL result types in Arrow, as extract_sql has always written them.

ADBC's driver types a column by its PostgreSQL type (int4 as int32, numeric as text, ...);
psycopg and pyarrow's inference, the SQLAlchemy path, gave other types. :class:`Plan`
makes each column what that path wrote, so a pipeline's files do not change type with the
reader. A type it does not know is :class:`Unsupported`, and the query takes the
SQLAlchemy path.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from steps._core.errors import DataError

PASS = frozenset({"int8", "float8", "text", "varchar", "bpchar", "name", "char", "bool",
                  "date", "timestamp", "time", "bytea", "uuid"})
WIDEN = {"int2": pa.int64(), "int4": pa.int64()}
CONVERTED = frozenset({"float4", "numeric", "timestamptz"})
# PostgreSQL's first day is 4714-11-24 BC (Julian day 0). ADBC moves 'infinity' and
# '-infinity' (its int64/int32 extremes, counted from 2000) to 1970 with wrap-around,
# landing far below that day: any earlier value is one of them, not a date.
FIRST_DAY = {"timestamp": -210_866_803_200_000_000, "timestamptz": -210_866_803_200_000_000,
             "date": -2_440_588}


class Unsupported(Exception):
    """The result has a column this path would type differently: use the SQLAlchemy path."""


def pg_type(field: pa.Field) -> str:
    return (field.metadata or {}).get(b"POSTGRESQL:type", b"?").decode()


class Plan:
    """How each kept column of the raw ADBC batches becomes the SQLAlchemy path's type."""

    def __init__(self, schema: pa.Schema, keep: Sequence[str], timezone: str) -> None:
        self.keep = list(keep)
        self.types: dict[str, str] = {}
        self.scales: dict[str, int] = {}  # numeric(p, s): s from the type modifier
        for name in self.keep:
            field = schema.field(name)
            typ = pg_type(field)
            if typ not in PASS and typ not in WIDEN and typ not in CONVERTED:
                raise Unsupported(f"column {name!r} has type {typ}")
            self.types[name] = typ
            typmod = int((field.metadata or {}).get(b"POSTGRESQL:typmod", b"-1"))
            if typ == "numeric" and typmod >= 4:
                self.scales[name] = (typmod - 4) & 0xFFFF
        self.timezone = timezone

    def column(self, name: str, array: pa.Array) -> pa.Array:
        typ = self.types[name]
        if typ in WIDEN:
            return array.cast(WIDEN[typ])
        if typ == "float4":  # as psycopg parses PostgreSQL's shortest text, 1.1 -> 1.1
            return array.cast(pa.string()).cast(pa.float64())
        if typ == "numeric":
            text = array.storage if isinstance(array, pa.ExtensionArray) else array
            return to_decimal(name, text, self.scales.get(name))
        if typ in FIRST_DAY:
            check_finite(name, typ, array)
        if typ == "timestamptz":
            return array.cast(pa.timestamp("us", tz=self.timezone))
        return array

    def convert(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        arrays = [self.column(n, batch.column(n)) for n in self.keep]
        return pa.RecordBatch.from_arrays(arrays, names=self.keep)


def check_finite(name: str, typ: str, array: pa.Array) -> None:
    """A DataError for 'infinity' (psycopg refused it too: Python has no such datetime)."""
    if array.null_count == len(array):
        return
    first = pc.min(array.view(pa.int32() if typ == "date" else pa.int64())).as_py()
    if first < FIRST_DAY[typ]:
        raise DataError(f"column {name!r} holds an infinite {typ}, which has no Arrow value",
                        column=name)


def to_decimal(name: str, text: pa.Array, scale: int | None) -> pa.Array:
    """PostgreSQL numeric text as decimal128(38, scale): the declared scale, else the
    largest in the batch, as the SQLAlchemy path infers it from the Decimal values."""
    if scale is None:
        # the digits after the point; no Python scalars in compute calls (see empty_batch)
        fraction = pc.replace_substring_regex(text, pattern=r"^[^.]*\.?", replacement="")
        scale = pc.max(pc.utf8_length(fraction)).as_py() or 0
    try:
        return text.cast(pa.decimal128(38, scale))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise DataError(f"column {name!r} holds a numeric that does not fit "
                        f"decimal128(38, {scale}) (NaN, infinity or over 38 digits): {exc}",
                        column=name) from exc


def empty_batch(schema: pa.Schema) -> pa.RecordBatch:
    # pa.nulls, not pa.array: pa.array and Python scalars make pyarrow import pandas, 0.6 s
    # of a step's start for nothing
    return pa.RecordBatch.from_arrays([pa.nulls(0, f.type) for f in schema], schema=schema)


def session_zone(name: str | None) -> str:
    """psycopg labels timestamptz values with the session's TimeZone when Python knows
    it, else UTC; the Arrow type follows (``Etc/UTC`` stays ``Etc/UTC``)."""
    try:
        zoneinfo.ZoneInfo(name or "")
        pa.timestamp("us", tz=name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, pa.ArrowException):
        return "UTC"
    return str(name)
