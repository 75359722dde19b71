"""The safe expression language: what it computes, what it refuses, and docs/expressions.md.

The helpers at the top read the examples out of the docs (typed markdown tables and
fenced blocks after ``<!-- example: NAME -->`` markers); test_transform and test_validate
use them too.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from steps import _expr, _spec
from steps._core.errors import ConfigError
from steps.transform import apply_casts

DOCS = Path(__file__).resolve().parents[3] / "docs"


def doc_examples(name: str, doc: str) -> list[str]:
    """The text after each ``<!-- example: name -->`` marker: a table or a fenced block."""
    text = (DOCS / doc).read_text()
    found = []
    for m in re.finditer(rf"<!-- example: {re.escape(name)} -->\n", text):
        rest = text[m.end():]
        if rest.startswith("```"):
            body = rest.split("\n", 1)[1]
            found.append(body[:body.index("```")])
        else:
            lines = []
            for line in rest.splitlines():
                if not line.startswith("|"):
                    break
                lines.append(line)
            found.append("\n".join(lines))
    assert found, f"no example {name!r} in {doc}"
    return found


def table_rows(table: str) -> list[list[str | None]]:
    """Cells of a markdown table (header first, separator dropped); `x` keeps spaces."""
    rows = []
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if all(set(c) <= {"-", ""} for c in cells):
            continue
        rows.append([c[1:-1] if c.startswith("`") and c.endswith("`") else
                     None if c == "null" else c for c in cells])
    return rows


def table_frame(table: str) -> pl.DataFrame:
    """A frame from a table whose header cells read ``name: type``."""
    header, *rows = table_rows(table)
    frame = pl.DataFrame({str(h).split(":")[0]: [r[i] for r in rows]
                          for i, h in enumerate(header)}, schema_overrides={
        str(h).split(":")[0]: pl.String for h in header})
    types = {str(h).split(":")[0]: _spec.parse_type(str(h).split(":")[1], "doc")
             for h in header}
    return apply_casts(frame, types, strict=True)[0]


def run(text: str, frame: pl.DataFrame) -> list[Any]:
    return frame.select(_expr.parse(text).to_polars(frame.schema).alias("r")).to_series(
        ).to_list()


@pytest.fixture(scope="module")
def orders() -> pl.DataFrame:
    return table_frame(doc_examples("data", "expressions.md")[0])


# --- the documented examples -------------------------------------------------------------

def test_doc_example_table_has_the_documented_types(orders: pl.DataFrame) -> None:
    assert orders.schema == {"id": pl.Int64, "nome": pl.String, "valor": pl.Float64,
                             "quantidade": pl.Int64, "created_at": pl.Datetime("us"),
                             "categoria": pl.String}
    assert orders["nome"][1] == "  bruno "


def test_every_documented_expression_gives_the_documented_values(orders: pl.DataFrame
                                                                  ) -> None:
    _, *rows = table_rows(doc_examples("values", "expressions.md")[0])
    assert len(rows) > 30
    for text, expected in rows:
        got = [v.isoformat() if isinstance(v, dt.date) else v for v in run(str(text), orders)]
        assert got == json.loads(str(expected)), text


def test_every_documented_refusal_is_refused_with_the_documented_reason(
        orders: pl.DataFrame) -> None:
    _, *rows = table_rows(doc_examples("refused", "expressions.md")[0])
    assert len(rows) >= 10
    for text, reason in rows:
        with pytest.raises(ConfigError) as info:
            _expr.parse(text).to_polars(orders.schema)
        assert str(reason) in info.value.message, text
        assert repr(text) in info.value.message or "characters long" in info.value.message


# --- hostile input: refused, named, never run --------------------------------------------

HOSTILE = {
    "__import__('os').system('touch {marker}')": "attribute access (.system)",
    "df.__class__": "attribute access (.__class__)",
    "().__class__": "attribute access (.__class__)",
    "().__class__.__bases__[0].__subclasses__()": "attribute access",
    "valor.__add__(1)": "attribute access (.__add__)",
    "lambda: open('{marker}', 'w')": "lambda is not allowed",
    "[open('{marker}', 'w') for _ in [1]]": "comprehensions are not allowed",
    "{{x for x in [1]}}": "comprehensions are not allowed",
    "(x := 1)": "assignment (:=) is not allowed",
    "open('{marker}', 'w')": "unknown function open()",
    "exec('import os')": "unknown function exec()",
    "eval('1')": "unknown function eval()",
    "getattr(valor, 'real')": "unknown function getattr()",
    "f'{{valor}}'": "f-strings are not allowed",
    "df['valor'][0]": 'only df["column"] subscripts',
    "valor[0]": 'only df["column"] subscripts',
    "{{'a': 1}}": "dict literals are not allowed",
    "round(valor, ndigits=2)": "no keyword arguments",
    "abs(*[valor])": "*unpacking is not allowed",
    "valor if": "syntax error",
    "import os": "syntax error",
    "valor; 1": "syntax error",
    "b'bytes'": "constants of type bytes are not allowed",
    "valor @ valor": "operator MatMult is not allowed",
    "valor << 1": "operator LShift is not allowed",
    "valor is 1": "`is` is only allowed as `is None`",
    "valor in nome": "`in` needs a list of constants",
    "valor in [quantidade]": "a list after `in` may hold only constants",
    "__builtins__": "unknown column '__builtins__'",
    "df": "`df` alone is not a column",
    "9" * 40: "integer constant out of the int64 range",
}


@pytest.mark.parametrize("template", sorted(HOSTILE))
def test_hostile_expressions_are_refused_and_never_run(template: str, orders: pl.DataFrame,
                                                       tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = template.format(marker=marker)
    with pytest.raises(ConfigError) as info:
        _expr.parse(text, "compute 'x'").to_polars(orders.schema)
    message = info.value.message
    assert message.startswith("compute 'x': ")
    assert HOSTILE[template] in message
    assert text in message or repr(text) in message
    assert info.value.exit_code == 78
    assert not marker.exists()


def test_over_long_and_deeply_nested_expressions_are_refused() -> None:
    with pytest.raises(ConfigError, match="1001 characters long; the limit is 1000"):
        _expr.parse("1" + "+1" * 500)
    with pytest.raises(ConfigError, match="too complex"):
        _expr.parse("-" * 200 + "valor")
    with pytest.raises(ConfigError, match="too complex"):
        _expr.parse("+".join(["v"] * 200))
    with pytest.raises(ConfigError, match=r"syntax error|cannot be parsed"):
        _expr.parse("(" * 300 + "1" + ")" * 300)


def test_non_string_and_empty_expressions_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"must be a string, not 5 \(quote it in YAML\)"):
        _expr.parse(5)
    with pytest.raises(ConfigError, match="empty"):
        _expr.parse("   ")


def test_unknown_column_suggests_the_nearest(orders: pl.DataFrame) -> None:
    with pytest.raises(ConfigError, match=r"unknown column 'quantity' \(did you mean "
                                          r"'quantidade'\?\); columns: id, nome"):
        _expr.parse("quantity * 2").to_polars(orders.schema)
    with pytest.raises(ConfigError, match=r"did you mean 'categoria'"):
        _expr.parse('df["categori"]').to_polars(orders.schema)
    with pytest.raises(ConfigError, match=r"unknown column 'zzz'; columns: id, nome"):
        _expr.parse("zzz").to_polars(orders.schema)


# --- semantics beyond the doc tables -------------------------------------------------------

def test_subscript_reaches_columns_with_awkward_names() -> None:
    frame = pl.DataFrame({"unit price": [2.0, 3.0], "qty": [1, 2]})
    assert run('df["unit price"] * qty', frame) == [2.0, 6.0]


def test_in_list_matches_across_int_and_float() -> None:
    frame = pl.DataFrame({"i": [1, 2, 3], "f": [1.0, 2.5, 3.0]})
    assert run("i in [1, 3.0]", frame) == [True, False, True]
    assert run("f in [1, 3]", frame) == [True, False, True]
    assert run("i in [-1, 2]", frame) == [False, True, False]
    assert run("i in []", frame) == [False, False, False]


def test_in_list_of_iso_strings_on_date_column() -> None:
    frame = pl.DataFrame({"d": [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]})
    assert run('d in ["2024-01-02"]', frame) == [False, True]
    assert run('d >= date("2024-01-02")', frame) == [False, True]


def test_filter_values_follow_sql_null_logic() -> None:
    frame = pl.DataFrame({"a": [True, False, None], "b": [None, None, None]},
                         schema={"a": pl.Boolean, "b": pl.Boolean})
    assert run("a or b", frame) == [True, None, None]
    assert run("a and b", frame) == [None, False, None]


def test_all_null_column_is_usable_in_string_and_number_functions() -> None:
    frame = pl.DataFrame({"n": [None, None]})
    assert run("lower(n)", frame) == [None, None]
    assert run("coalesce(n, 1)", frame) == [1, 1]
    assert run("abs(n)", frame) == [None, None]


def test_timestamp_constant_with_offset_is_converted_to_utc() -> None:
    frame = pl.DataFrame({"t": [dt.datetime(2024, 1, 1, 2, 59), dt.datetime(2024, 1, 1, 3)]})
    assert run('t >= timestamp("2024-01-01T00:00:00-03:00")', frame) == [False, True]
    assert run('t >= "2024-01-01T03:00:00Z"', frame) == [False, True]


def test_integer_powers_do_not_overflow_silently() -> None:
    frame = pl.DataFrame({"x": [2]})
    assert run("x ** 100", frame) == [2.0 ** 100]


def test_parse_checks_without_data_and_binds_later(orders: pl.DataFrame) -> None:
    expr = _expr.parse("valor * 2", "filter #1")
    assert expr.text == "valor * 2"
    compiled, dtype = expr.compile(orders.schema)
    assert dtype == pl.Float64
    assert orders.select(compiled).to_series().to_list()[:2] == [21.0, 4.0]
    with pytest.raises(ConfigError, match=r"filter #1: .*unknown column 'valor'"):
        expr.compile({"other": pl.Int64})
