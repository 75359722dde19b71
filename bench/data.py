"""Synthetic "orders" data for benchmarks, written as Parquet in bounded memory.

The table matches the one in the measured baselines: ``id`` bigint, ``nome`` text (~12
characters), ``valor`` double, ``quantidade`` int, ``created_at`` timestamp and
``categoria`` text of low cardinality. Values are deterministic (seeded), so two runs
build byte-identical files.
"""

from __future__ import annotations

import os

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

CATEGORIES = ("alimentos", "bebidas", "limpeza", "higiene", "padaria", "hortifruti",
              "congelados", "eletro")
SCHEMA = pa.schema([
    ("id", pa.int64()),
    ("nome", pa.string()),
    ("valor", pa.float64()),
    ("quantidade", pa.int32()),
    ("created_at", pa.timestamp("us")),
    ("categoria", pa.string()),
])
_EPOCH_US = 1_704_067_200_000_000  # 2024-01-01T00:00:00Z


def orders_batch(start: int, rows: int, seed: int = 7) -> pa.RecordBatch:
    """Rows ``start .. start+rows-1`` of the synthetic table."""
    rng = np.random.default_rng(seed + start)
    ids = np.arange(start + 1, start + rows + 1, dtype=np.int64)
    suffix = pc.utf8_lpad(pa.array(rng.integers(0, 100_000, rows)).cast(pa.string()), 5, "0")
    nome = pc.binary_join_element_wise("cliente_", suffix, "")
    cats = pa.array(CATEGORIES).take(pa.array(rng.integers(0, len(CATEGORIES), rows)))
    created = pa.array(_EPOCH_US + rng.integers(0, 365 * 86_400_000_000, rows),
                       pa.int64()).cast(pa.timestamp("us"))
    return pa.RecordBatch.from_arrays([
        pa.array(ids),
        nome,
        pa.array(np.round(rng.random(rows) * 1000, 2)),
        pa.array(rng.integers(1, 50, rows, dtype=np.int32)),
        created,
        cats,
    ], schema=SCHEMA)


def make_orders_parquet(path: str | os.PathLike[str], rows: int,
                        row_group_size: int = 128 * 1024) -> str:
    """Write ``rows`` synthetic orders to ``path`` (zstd); returns the path."""
    with pq.ParquetWriter(str(path), SCHEMA, compression="zstd") as writer:
        done = 0
        while done < rows:
            n = min(row_group_size, rows - done)
            writer.write_batch(orders_batch(done, n), row_group_size=row_group_size)
            done += n
    return str(path)


def parquet_to_csv(parquet: str | os.PathLike[str], csv: str | os.PathLike[str],
                   extra: dict[str, str] | None = None) -> str:
    """The same rows as CSV with a header (plus constant ``extra`` columns), for ``psql``."""
    import pyarrow.csv as pacsv

    pf = pq.ParquetFile(str(parquet))
    writer = None
    try:
        for batch in pf.iter_batches(batch_size=256 * 1024):
            for name, value in (extra or {}).items():
                batch = batch.append_column(name, pa.array([value] * batch.num_rows))
            if writer is None:
                writer = pacsv.CSVWriter(str(csv), batch.schema)
            writer.write_batch(batch)
    finally:
        if writer is not None:
            writer.close()
    return str(csv)


def make_two_sources(directory: str | os.PathLike[str], rows: int,
                     row_group_size: int = 128 * 1024) -> tuple[str, str]:
    """Two sources of ``rows`` orders each, as the pipeline's extracts give them.

    ``http.parquet`` holds orders 1..N with ``created_at`` as ISO 8601 text (what
    extract-http writes); ``sql.parquet`` holds the last half of them again, as
    timestamps, plus N/2 new ones. After clean's parsing the shared half are whole-row
    duplicates: 2N rows in, 1.5N distinct. Written batch by batch, in bounded memory.
    """
    http = os.path.join(directory, "http.parquet")
    sql = os.path.join(directory, "sql.parquet")
    text = SCHEMA.set(SCHEMA.get_field_index("created_at"), pa.field("created_at", pa.string()))
    with pq.ParquetWriter(http, text, compression="zstd") as a, \
            pq.ParquetWriter(sql, SCHEMA, compression="zstd") as b:
        done = 0
        while done < rows:
            n = min(row_group_size, rows - done)
            batch = orders_batch(done, n)
            stamps = pc.strftime(batch.column("created_at"), format="%Y-%m-%dT%H:%M:%S")
            a.write_batch(batch.set_column(4, "created_at", stamps),
                          row_group_size=row_group_size)
            shared = batch.slice(max(0, rows // 2 - done))
            if shared.num_rows:
                b.write_batch(shared, row_group_size=row_group_size)
            done += n
        done = 0
        while done < rows - rows // 2:
            n = min(row_group_size, rows - rows // 2 - done)
            b.write_batch(orders_batch(rows + done, n), row_group_size=row_group_size)
            done += n
    return http, sql
