"""Sales control (销控): unit states, project settings, unit rows, and the price maths. Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.domain import DomainError  # noqa: F401  (re-exported for this service)

CENT = Decimal("0.01")


def money(value: Any) -> Decimal:
    """A Decimal with two places (ROUND_HALF_UP); raises ValueError on anything that is not a number."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"not an amount: {value!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


class InvalidTransition(DomainError):
    code = "invalid_transition"


class UnitNotAvailable(DomainError):
    code = "unit_not_available"


class PriceBelowFiled(DomainError):
    code = "price_below_filed"


class PoaNotNotarized(DomainError):
    code = "poa_not_notarized"


class InvalidInput(DomainError):
    code = "invalid_request"


class UnitStatus(str, Enum):
    """The unit's place in the chain: 可售 → 锁定 → 小订/已定 → 认购 → 签约 → 交房."""

    AVAILABLE = "available"
    HELD = "held"
    RESERVED = "reserved"
    SUBSCRIBED = "subscribed"
    CONTRACTED = "contracted"
    HANDED_OVER = "handed_over"


S = UnitStatus
# R19, R27, R29, R32: the only moves a unit can make.
TRANSITIONS: dict[UnitStatus, frozenset[UnitStatus]] = {
    S.AVAILABLE: frozenset({S.HELD, S.RESERVED}),  # RESERVED directly: a deposit verified after its hold lapsed
    S.HELD: frozenset({S.AVAILABLE, S.RESERVED}),
    S.RESERVED: frozenset({S.SUBSCRIBED, S.AVAILABLE}),  # AVAILABLE: deposit refunded
    S.SUBSCRIBED: frozenset({S.CONTRACTED}),
    S.CONTRACTED: frozenset({S.HANDED_OVER}),
    S.HANDED_OVER: frozenset(),
}


def check_transition(current: UnitStatus, target: UnitStatus) -> None:
    """Raise InvalidTransition unless the unit may move from `current` to `target`."""
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(f"a {current.value} unit cannot become {target.value}")


# ---------------------------------------------------------------- project settings
_QUIET = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class ProjectSettings:
    """Per-project numbers of the rules, with their documented defaults."""

    hold_minutes: int = 30  # R19
    protection_days: int = 20  # R10
    cash_limit: Decimal = Decimal("10000.00")  # R25
    cash_banking_days: int = 2  # R24
    quiet_hours: str = "21:00-09:00"  # R15
    timezone: str = "Asia/Shanghai"
    max_calls_per_day: int = 1  # R15
    deed_tax_first_home_small: Decimal = Decimal("0.01")  # R20: first home up to the area threshold
    deed_tax_first_home_large: Decimal = Decimal("0.015")
    deed_tax_other: Decimal = Decimal("0.03")
    deed_tax_area_threshold_m2: Decimal = Decimal("90")
    maintenance_fund_per_m2: Decimal = Decimal("80.00")
    other_fees: dict[str, Decimal] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            out[name] = {k: str(v) for k, v in value.items()} if isinstance(value, dict) else (
                str(value) if isinstance(value, Decimal) else value)
        return out


_INT_SETTINGS = ("hold_minutes", "protection_days", "cash_banking_days", "max_calls_per_day")
_DECIMAL_SETTINGS = ("cash_limit", "deed_tax_first_home_small", "deed_tax_first_home_large", "deed_tax_other",
                     "deed_tax_area_threshold_m2", "maintenance_fund_per_m2")


def parse_settings(raw: dict[str, Any] | None) -> ProjectSettings:
    """Validate a project's settings; unknown names and bad values raise InvalidInput naming the setting."""
    raw = dict(raw or {})
    unknown = set(raw) - set(ProjectSettings.__dataclass_fields__)
    if unknown:
        raise InvalidInput(f"unknown settings: {', '.join(sorted(unknown))}", "invalid_settings")
    values: dict[str, Any] = {}
    for name, value in raw.items():
        values[name] = _parse_setting(name, value)
    return ProjectSettings(**values)


def _parse_setting(name: str, value: Any) -> Any:
    try:
        if name in _INT_SETTINGS:
            if isinstance(value, bool) or int(value) != value or int(value) <= 0:
                raise ValueError
            return int(value)
        if name in _DECIMAL_SETTINGS:
            number = Decimal(str(value))
            if not number.is_finite() or number < 0:
                raise ValueError
            return number
        if name == "quiet_hours":
            if not isinstance(value, str) or not _QUIET.match(value):
                raise ValueError
            return value
        if name == "timezone":
            ZoneInfo(str(value))
            return str(value)
        if name == "other_fees":
            return {str(k): money(v) for k, v in dict(value).items()}
    except (ValueError, TypeError, InvalidOperation, ZoneInfoNotFoundError) as exc:
        raise InvalidInput(f"setting {name} has a bad value: {value!r}", "invalid_settings") from exc
    raise InvalidInput(f"unknown setting {name}", "invalid_settings")


# ---------------------------------------------------------------- unit import
UNIT_FIELDS = ("building", "number", "floor", "layout", "area_m2", "list_price", "floor_price")


@dataclass(frozen=True)
class UnitRow:
    building: str
    number: str
    floor: int
    layout: str
    area_m2: Decimal
    list_price: Decimal
    floor_price: Decimal


@dataclass(frozen=True)
class RowProblem:
    row: int  # 1-based, as a person counts rows
    field: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"row": self.row, "field": self.field, "message": self.message}


def parse_unit_rows(rows: list[dict[str, Any]]) -> tuple[list[UnitRow], list[RowProblem]]:
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
        value = raw.get(name)
        try:
            values[name] = _parse_field(name, value)
        except ValueError as exc:
            problems.append(RowProblem(index, name, str(exc)))
    if not problems and values["floor_price"] > values["list_price"]:
        problems.append(RowProblem(index, "floor_price", "floor_price is above list_price"))
    return (None if problems else UnitRow(**values)), problems


def _parse_field(name: str, value: Any) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("required")
    if name in ("building", "number", "layout"):
        return str(value).strip()
    if name == "floor":
        try:
            floor = int(str(value).strip())
        except ValueError:
            raise ValueError("must be a whole number") from None
        if floor == 0 or abs(floor) > 200:
            raise ValueError("must be a floor between -200 and 200, not 0")
        return floor
    try:
        amount = money(value)
    except ValueError:
        raise ValueError("must be a decimal number") from None
    if amount <= 0:
        raise ValueError("must be greater than zero")
    return amount


# ---------------------------------------------------------------- quote (R20, R21)
@dataclass(frozen=True)
class QuoteRequest:
    discount_amount: Decimal = Decimal("0.00")
    discount_percent: Decimal = Decimal("0")
    first_home: bool = True
    down_payment_ratio: Decimal = Decimal("0.30")
    years: int = 30
    annual_rate: Decimal = Decimal("0.0310")
    instalments: int = 3


def discounted_price(list_price: Decimal, floor_price: Decimal, req: QuoteRequest) -> tuple[Decimal, Decimal]:
    """(discount, price); R21: never below the filed floor price."""
    discount = money(list_price * req.discount_percent / 100) + money(req.discount_amount)
    price = money(list_price - discount)
    if price < floor_price:
        raise PriceBelowFiled(f"price {price} would be below the filed floor {floor_price}")
    return discount, price


def deed_tax_rate(area_m2: Decimal, first_home: bool, s: ProjectSettings) -> Decimal:
    """契税: first home 1% up to 90 m², 1.5% above; otherwise 3% (rates are project settings)."""
    if not first_home:
        return s.deed_tax_other
    return s.deed_tax_first_home_small if area_m2 <= s.deed_tax_area_threshold_m2 else s.deed_tax_first_home_large


def equal_instalment(loan: Decimal, annual_rate: Decimal, months: int) -> Decimal:
    """等额本息: M = P·r(1+r)^n / ((1+r)^n − 1), to the fen."""
    with localcontext() as ctx:
        ctx.prec = 50
        r = annual_rate / 12
        if r == 0:
            return money(loan / months)
        growth = (1 + r) ** months
        return money(loan * r * growth / (growth - 1))


def equal_principal(loan: Decimal, annual_rate: Decimal, months: int) -> list[Decimal]:
    """等额本金: month k pays P/n + (P − (k−1)·P/n)·r, each to the fen."""
    with localcontext() as ctx:
        ctx.prec = 50
        r, part = annual_rate / 12, loan / months
        return [money(part + (loan - k * part) * r) for k in range(months)]


def quote(unit: dict[str, Any], req: QuoteRequest, s: ProjectSettings) -> dict[str, Any]:
    """The full cost and the purchase plans of one unit (R20), all amounts to the fen."""
    _check_quote_request(req)
    area = Decimal(unit["area_m2"])
    discount, price = discounted_price(Decimal(unit["list_price"]), Decimal(unit["floor_price"]), req)
    rate = deed_tax_rate(area, req.first_home, s)
    deed_tax, fund = money(price * rate), money(area * s.maintenance_fund_per_m2)
    other = {name: money(v) for name, v in s.other_fees.items()}
    fees = deed_tax + fund + sum(other.values(), Decimal("0.00"))
    return {
        "list_price": str(money(unit["list_price"])), "discount": str(discount), "price": str(price),
        "area_m2": str(area), "deed_tax_rate": str(rate), "deed_tax": str(deed_tax), "maintenance_fund": str(fund),
        "other_fees": {k: str(v) for k, v in other.items()}, "taxes_and_fees": str(fees),
        "total_cost": str(price + fees),
        "plans": {"full": {"pay_now": str(price + fees)}, "mortgage": mortgage_plan(price, fees, req),
                  "instalments": instalment_plan(price, fees, req.instalments)},
    }


def _check_quote_request(req: QuoteRequest) -> None:
    if not (Decimal("0") <= req.discount_percent < Decimal("100")) or req.discount_amount < 0:
        raise InvalidInput("discount must be a percent in [0, 100) and a non-negative amount")
    if not (Decimal("0.2") <= req.down_payment_ratio < Decimal("1")):
        raise InvalidInput("down_payment_ratio must be at least 0.20 and below 1")
    if not (1 <= req.years <= 30) or not (Decimal("0") <= req.annual_rate < Decimal("0.5")):
        raise InvalidInput("years must be 1–30 and annual_rate a fraction below 0.5")
    if not (1 <= req.instalments <= 36):
        raise InvalidInput("instalments must be 1–36")


def mortgage_plan(price: Decimal, fees: Decimal, req: QuoteRequest) -> dict[str, Any]:
    """Down payment, loan, and the monthly payments of both repayment methods."""
    down = money(price * req.down_payment_ratio)
    loan, months = price - down, req.years * 12
    monthly = equal_instalment(loan, req.annual_rate, months)
    principal = equal_principal(loan, req.annual_rate, months)
    return {
        "down_payment": str(down), "pay_at_signing": str(down + fees), "loan": str(loan), "years": req.years,
        "months": months, "annual_rate": str(req.annual_rate),
        "equal_instalment": {"monthly_payment": str(monthly), "total_interest": str(monthly * months - loan)},
        "equal_principal": {"first_month": str(principal[0]), "last_month": str(principal[-1]),
                            "monthly_decrease": str(money(loan / months * req.annual_rate / 12)),
                            "total_interest": str(sum(principal, Decimal("0.00")) - loan)},
    }


def instalment_plan(price: Decimal, fees: Decimal, count: int) -> dict[str, Any]:
    """Equal instalments to the fen; the last one takes the rounding so the sum is exact."""
    each = money(price / count)
    schedule = [each] * (count - 1) + [price - each * (count - 1)]
    return {"count": count, "first_with_fees": str(schedule[0] + fees), "schedule": [str(a) for a in schedule]}
