"""Unit import rows: every bad row and field named at once, duplicates included. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from shared.kernel.money import parse_money

UNIT_FIELDS = ("building", "number", "floor", "layout", "area_m2", "list_price", "floor_price")
_TEXT_MAX = 40
_AREA_MAX = Decimal("99999.99")


@dataclass(frozen=True)
class UnitRow:
    """One unit (房号) as imported."""

    building: str
    number: str
    floor: int
    layout: str
    area_m2: Decimal
    list_price: Decimal
    floor_price: Decimal  # 备案价 floor: the lowest total price the filing allows (R21)


@dataclass(frozen=True)
class RowProblem:
    row: int  # 1-based, as a person counts rows (the CSV header is not a row)
    field: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


def parse_unit_rows(rows: list[Any]) -> tuple[list[UnitRow], list[RowProblem]]:
    """Every row checked; all problems returned together so the importer can fix them in one go."""
    units: list[UnitRow] = []
    problems: list[RowProblem] = []
    seen: dict[tuple[str, str], int] = {}
    for index, raw in enumerate(rows, start=1):
        unit, found = _parse_row(index, raw)
        problems.extend(found)
        if unit is None:
            continue
        key = (unit.building, unit.number)
        if key in seen:
            problems.append(RowProblem(index, "number", f"duplicates row {seen[key]} ({unit.building}-{unit.number})"))
        seen.setdefault(key, index)
        units.append(unit)
    return units, problems


def _parse_row(index: int, raw: Any) -> tuple[UnitRow | None, list[RowProblem]]:
    if not isinstance(raw, dict):
        return None, [RowProblem(index, "*", "a row must be an object")]
    problems: list[RowProblem] = []
    values: dict[str, Any] = {}
    for name in UNIT_FIELDS:
        try:
            values[name] = _parse_field(name, raw.get(name))
        except ValueError as exc:
            problems.append(RowProblem(index, name, str(exc)))
    if not problems and values["floor_price"] > values["list_price"]:
        problems.append(RowProblem(index, "floor_price", "floor_price is above list_price"))
    return (None if problems else UnitRow(**values)), problems


def _parse_field(name: str, value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("required")
    if name in ("building", "number", "layout"):
        return _text(value)
    if name == "floor":
        return _floor(value)
    if name in ("list_price", "floor_price"):  # the one money parser: strings, two places, never rounded
        amount = parse_money(value)
    elif isinstance(value, bool):
        raise ValueError("must be a decimal number")
    else:
        amount = _area(value)
    if amount <= 0:
        raise ValueError("must be greater than zero")
    if name == "area_m2" and amount > _AREA_MAX:
        raise ValueError(f"must be at most {_AREA_MAX} m²")
    return amount


def _area(value: Any) -> Any:
    """Square metres to the hundredth (a measure, not money)."""
    try:
        area = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise ValueError("must be a decimal number") from None
    if not area.is_finite():
        raise ValueError("must be a decimal number")
    return area


def _text(value: Any) -> str:
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ValueError("must be text")
    text = str(value).strip()
    if len(text) > _TEXT_MAX:
        raise ValueError(f"at most {_TEXT_MAX} characters")
    return text


def _floor(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    try:
        floor = int(str(value).strip())
    except ValueError:
        raise ValueError("must be a whole number") from None
    if floor == 0 or abs(floor) > 200:
        raise ValueError("must be a floor between -200 and 200, not 0")
    return floor
