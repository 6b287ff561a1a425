"""The one money type: CNY as `Decimal` with two places, parsed strictly at the edge (contract "Money inputs").

A JSON number is refused (floats lose fen); so is any string that is not a finite decimal with at most
two places, a negative amount, or one above the largest amount the platform stores.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("9999999999.99")  # numeric(14,2) holds more; the API caps amounts here (docs/api.md)
_SHAPE = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")  # no sign, exponent, NaN or third place: checked before Decimal


class InvalidAmount(ValueError):
    """An amount that is not money: the code every service answers with is `invalid_amount`."""

    code = "invalid_amount"


def parse_money(value: Any) -> Decimal:
    """A decimal string with at most two places, 0 ≤ amount ≤ MAX_AMOUNT → Decimal with two places."""
    if isinstance(value, Decimal) and value.is_finite():
        value = format(value, "f")
    if not isinstance(value, str):
        raise InvalidAmount('money is a decimal string such as "20000.00", never a JSON number')
    if len(value) > 16 or not _SHAPE.fullmatch(value.strip()):
        raise InvalidAmount(
            f"{value[:20]!r} is not an amount: digits with at most two decimal places, 0.00 … {MAX_AMOUNT}"
        )
    return Decimal(value.strip()).quantize(CENT)


STORABLE = Decimal("999999999999.99")  # numeric(14,2): what the tables can hold (a computed amount may pass MAX_AMOUNT)


def to_fen(value: Decimal | int | str) -> Decimal:
    """A computed amount (a discount, a tax, an instalment) rounded to the fen, half up, as finance rounds;
    ValueError for anything that is not a storable amount. Input from outside goes through `parse_money`."""
    try:
        amount = Decimal(str(value)).quantize(CENT, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite() or abs(amount) > STORABLE:
        raise ValueError(f"not an amount: {value!r}")
    return amount


def money_str(amount: Decimal) -> str:
    """How money leaves the platform: a string with exactly two places."""
    return str(amount.quantize(CENT))


def _validate(value: Any) -> Decimal:
    return parse_money(value)


# The pydantic field type for money in request and response bodies. A failure carries the code
# `invalid_amount` (shared.web maps it), so every service answers bad money the same way.
Money = Annotated[
    Decimal,
    BeforeValidator(_validate),
    PlainSerializer(money_str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,10}(\.\d{1,2})?$", "examples": ["20000.00"]}),
]
