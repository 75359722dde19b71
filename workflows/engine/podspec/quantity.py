"""Kubernetes resource quantities (``100m``, ``64Mi``, ``2``, ``1e3``), read as Go reads them.

``parse`` follows apimachinery's ``resource.ParseQuantity`` (reached through
``Quantity.UnmarshalJSON``, which takes a JSON string or number and trims spaces): a
signed decimal number, then one suffix: a binary one (``Ki`` .. ``Ei``), a decimal one
(``n u m k M G T P E`` or none) or an exponent (``e3``, ``E-2``). Anything else is the
error Go gives, so a quantity the cluster would not read is not read here either.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

_NUMBER = re.compile(r"([+-]?)(\d+(?:\.\d*)?|\.\d+)(.*)", re.DOTALL)
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15,
            "E": 18}
_EXPONENT = re.compile(r"[eE]([+-]?\d+)")
FORMAT_ERROR = ("quantities must match the regular expression "
                "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")
SUFFIX_ERROR = "unable to parse quantity's suffix"


class QuantityError(ValueError):
    """Go's ErrFormatWrong or ErrSuffix."""


def parse(value: Any) -> Decimal:
    """The amount ``value`` (a JSON string or number) stands for; QuantityError if Go
    would not read it."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise QuantityError(f"cannot unmarshal {type(value).__name__} into a quantity")
    text = value.strip() if isinstance(value, str) else repr(value)
    match = _NUMBER.fullmatch(text)
    if not match:
        raise QuantityError(FORMAT_ERROR)
    sign, digits, suffix = match.groups()
    number = Decimal(digits if not digits.endswith(".") else digits[:-1] or "0")
    if sign == "-":
        number = -number
    if suffix in _BINARY:
        return number * (2 ** _BINARY[suffix])
    if suffix in _DECIMAL:
        return number.scaleb(_DECIMAL[suffix])
    exponent = _EXPONENT.fullmatch(suffix)
    if exponent:
        return number.scaleb(int(exponent.group(1)))
    raise QuantityError(SUFFIX_ERROR)
