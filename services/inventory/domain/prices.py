"""Price adjustments (调价, issue 24): new list prices by list or by a percent over a building (or the whole
project), all or nothing against the filed floor price (R21), for units not held or sold; and the price table
(价格表). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from shared.kernel.errors import DomainError, InvalidInput
from shared.kernel.money import MAX_AMOUNT, to_fen

ADJUSTABLE = "available"  # held and sold units keep their price
PERCENT_RANGE = (Decimal("-90"), Decimal("100"))  # a price cut by more than 90 % or doubled is a typing error
PRICE_TABLE = ("building", "number", "floor", "layout", "area_m2", "list_price", "status")
PRICE_TABLE_TWO_PLACES = frozenset({PRICE_TABLE.index("area_m2"), PRICE_TABLE.index("list_price")})  # in Excel


@dataclass(frozen=True)
class UnitPrice:
    """A unit as an adjustment sees it."""

    unit_id: Any
    building: str
    number: str
    status: str
    list_price: Decimal
    floor_price: Decimal


@dataclass(frozen=True)
class Adjustment:
    """调价: a reason, and either new list prices by unit or a percent (of a building's units, or all units)."""

    reason: str
    prices: dict[Any, Decimal] | None = None
    percent: Decimal | None = None
    building: str | None = None


@dataclass(frozen=True)
class PricePlan:
    """What an adjustment does: units whose price changes (with the new price), units it leaves (held or sold)."""

    changed: list[tuple[UnitPrice, Decimal]]
    skipped: list[UnitPrice]


class PricesBelowFiled(DomainError):
    """R21: a new price under a unit's filed floor: every such unit named, nothing changed (422)."""

    code = "price_below_filed"

    def __init__(self, below: list[tuple[UnitPrice, Decimal]]) -> None:
        super().__init__(f"{len(below)} unit(s) would be priced below the filed floor price (R21); nothing changed")
        self.below = below

    def extra(self) -> dict[str, Any]:
        units = [
            {"unit_id": str(u.unit_id), "building": u.building, "number": u.number}
            | {"list_price": str(price), "floor_price": str(u.floor_price)}
            for u, price in self.below
        ]
        return {"units": units}


def check_adjustment(adj: Adjustment) -> None:
    """A reason (R35: why), and exactly one way to price: a list of units or a percent within range."""
    if not adj.reason.strip():
        raise InvalidInput("an adjustment says why (R35)", "reason_required")
    if (adj.prices is None) == (adj.percent is None):
        raise InvalidInput("give either `units` with their new list prices or a `percent`", "invalid_adjustment")
    if adj.prices is not None and adj.building is not None:
        raise InvalidInput("`building` goes with `percent`; a list names its units", "invalid_adjustment")
    if adj.percent is not None and not (PERCENT_RANGE[0] <= adj.percent <= PERCENT_RANGE[1] and adj.percent != 0):
        raise InvalidInput(f"percent lies in {PERCENT_RANGE[0]}…{PERCENT_RANGE[1]} and is not 0", "invalid_percent")


def new_price(unit: UnitPrice, adj: Adjustment) -> Decimal:
    """The unit's new list price: the one listed, or the old one moved by the percent, half up to the fen."""
    if adj.prices is not None:
        return adj.prices[unit.unit_id]
    assert adj.percent is not None  # check_adjustment: one of the two
    price = unit.list_price * (100 + adj.percent) / 100
    if price > MAX_AMOUNT:
        raise InvalidInput(f"unit {unit.building}-{unit.number} would cost more than {MAX_AMOUNT}", "invalid_amount")
    return to_fen(price)


def plan_adjustment(units: Sequence[UnitPrice], adj: Adjustment) -> PricePlan:
    """R21, all or nothing: units not available are skipped; any new price under its floor refuses the whole
    adjustment, naming every such unit; a unit whose price stays the same is neither changed nor skipped."""
    skipped = [u for u in units if u.status != ADJUSTABLE]
    priced = [(u, new_price(u, adj)) for u in units if u.status == ADJUSTABLE]
    below = [(u, price) for u, price in priced if price < u.floor_price]
    if below:
        raise PricesBelowFiled(below)
    return PricePlan([(u, price) for u, price in priced if price != u.list_price], skipped)


def price_table_row(row: Any) -> list[Any]:
    """One line of the price table (价格表), as the unit list's JSON has it (numbers as numbers)."""
    return [row[name] for name in PRICE_TABLE]
