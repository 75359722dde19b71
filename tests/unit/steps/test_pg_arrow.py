"""The pure parts of extract_sql's PostgreSQL fast path (pg_arrow, pg_types, batch_flow)."""

from __future__ import annotations

from decimal import Decimal

import pyarrow as pa
import pytest

from steps._core import batch_flow, pg_arrow, pg_types
from steps._core.errors import ConfigError, DataError


def test_parameters_are_found_as_sqlalchemy_finds_them() -> None:
    import sqlalchemy as sa

    # ':lit' in quotes is a parameter too, for SQLAlchemy as here: "\\:" escapes a colon
    query = ("SELECT a::text, 'x\\:y', :p1, f(:p2), :p1 || ':lit' FROM t "
             "WHERE d = :logical_date AND e=:é")
    params = {"p1": 1, "p2": 2, "lit": 0, "logical_date": 3, "é": 4}
    assert pg_arrow.bind_names(query, params) == ["p1", "p2", "lit", "logical_date", "é"]
    assert set(sa.text(query).compile().params) == set(params)
    rendered = pg_arrow.render(query, lambda n: f"<{n}>")
    assert rendered == ("SELECT a::text, 'x:y', <p1>, f(<p2>), <p1> || '<lit>' FROM t "
                        "WHERE d = <logical_date> AND e=<é>")


def test_a_parameter_without_a_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="--param region="):
        pg_arrow.bind_names("SELECT :region", {})


@pytest.mark.parametrize(("url", "handled"), [
    ("postgresql+psycopg://u@h/db", True),
    ("postgresql://u@h/db", True),
    ("postgresql+psycopg2://u@h/db", True),
    ("postgresql+pg8000://u@h/db", False),
    ("sqlite:///x.db", False),
    ("mysql+pymysql://u@h/db", False),
])
def test_only_libpq_postgresql_urls_take_the_fast_path(url: str, handled: bool) -> None:
    assert pg_arrow.handles(url) is handled


def test_the_libpq_uri_drops_the_driver_and_keeps_the_query() -> None:
    assert pg_arrow.libpq_uri("postgresql+psycopg://u:p%40ss@h:5432/db?sslmode=require",
                              {"connect_timeout": 10}) == \
        "postgresql://u:p%40ss@h:5432/db?sslmode=require&connect_timeout=10"
    assert pg_arrow.libpq_uri("postgresql://u@h/db", {}) == "postgresql://u@h/db"


def batch(n: int, start: int = 0) -> pa.RecordBatch:
    return pa.record_batch({"id": list(range(start, start + n))})


def test_rechunk_makes_batches_of_exactly_the_chunk_size() -> None:
    out = list(batch_flow.rechunk([batch(7), batch(2, 7), batch(6, 9)], 4))
    assert [b.num_rows for b in out] == [4, 4, 4, 3]
    assert pa.Table.from_batches(out).column("id").to_pylist() == list(range(15))
    assert list(batch_flow.rechunk([], 4)) == []


def test_numeric_text_becomes_a_decimal_of_the_declared_or_largest_scale() -> None:
    text = pa.array(["1.5", "-123.456", None, "7"])
    free = pg_types.to_decimal("n", text, None)
    assert free.type == pa.decimal128(38, 3)
    assert free.to_pylist() == [Decimal("1.500"), Decimal("-123.456"), None, Decimal("7.000")]
    assert pg_types.to_decimal("n", pa.array(["1.50"]), 2).type == pa.decimal128(38, 2)
    with pytest.raises(DataError, match="'n'"):
        pg_types.to_decimal("n", pa.array(["NaN"]), None)


def test_prefetch_hands_over_every_batch_and_the_reader_error() -> None:
    assert [b.num_rows for b in batch_flow.prefetch(iter([batch(1), batch(2)]), 1)] == [1, 2]

    def failing():  # type: ignore[no-untyped-def]
        yield batch(1)
        raise OSError("connection lost")

    with pytest.raises(OSError, match="connection lost"):
        list(batch_flow.prefetch(failing(), 1))


def test_prefetch_stops_its_thread_when_the_caller_stops_early() -> None:
    import threading

    ahead = batch_flow.prefetch((batch(1) for _ in range(1000)), 2)
    next(ahead)
    ahead.close()
    assert not any(t.name == "pg-arrow-prefetch" for t in threading.enumerate())


@pytest.mark.parametrize(("zone", "label"), [
    ("Etc/UTC", "Etc/UTC"), ("America/Sao_Paulo", "America/Sao_Paulo"),
    ("<+03>-03", "UTC"), (None, "UTC"),
])
def test_the_session_zone_labels_timestamptz_as_psycopg_does(zone: str | None,
                                                             label: str) -> None:
    assert pg_types.session_zone(zone) == label


def test_prefetch_never_hangs_when_the_caller_stops_with_the_queue_full() -> None:
    import threading

    # depth 1: the second batch fills the queue, then the end of the source must not wait
    # for a caller that has gone
    def stop_after_one() -> None:
        ahead = batch_flow.prefetch(iter([batch(1), batch(1)]), 1)
        next(ahead)
        import time

        time.sleep(0.3)  # the worker queues the second batch and reaches the end
        ahead.close()

    caller = threading.Thread(target=stop_after_one, daemon=True)
    caller.start()
    caller.join(timeout=10)
    assert not caller.is_alive()
