"""Price, taxes and fees, and purchase plans of one unit (R20), within the filed price (R21). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from typing import Any

from services.inventory.domain.status import PriceBelowFiled
from shared.kernel.defaults import ProjectSettings
from shared.kernel.errors import InvalidInput
from shared.kernel.money import STORABLE, to_fen


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
    discount = to_fen(list_price * req.discount_percent / 100) + to_fen(req.discount_amount)
    price = to_fen(list_price - discount)
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
            return to_fen(loan / months)
        growth = (1 + r) ** months
        return to_fen(loan * r * growth / (growth - 1))


def equal_principal(loan: Decimal, annual_rate: Decimal, months: int) -> list[Decimal]:
    """等额本金: month k pays P/n + (P − (k−1)·P/n)·r, each to the fen."""
    with localcontext() as ctx:
        ctx.prec = 50
        r, part = annual_rate / 12, loan / months
        return [to_fen(part + (loan - k * part) * r) for k in range(months)]


def quote(unit: dict[str, Any], req: QuoteRequest, s: ProjectSettings) -> dict[str, Any]:
    """The full cost and the purchase plans of one unit (R20), all amounts to the fen."""
    _check_quote_request(req)
    area = Decimal(unit["area_m2"])
    discount, price = discounted_price(Decimal(unit["list_price"]), Decimal(unit["floor_price"]), req)
    rate = deed_tax_rate(area, req.first_home, s)
    deed_tax, fund = to_fen(price * rate), to_fen(area * s.maintenance_fund_per_m2)
    other = {name: to_fen(v) for name, v in s.other_fees.items()}
    fees = deed_tax + fund + sum(other.values(), Decimal("0.00"))
    return {
        "list_price": str(to_fen(unit["list_price"])),
        "discount": str(discount),
        "price": str(price),
        "area_m2": str(area),
        "deed_tax_rate": str(rate),
        "deed_tax": str(deed_tax),
        "maintenance_fund": str(fund),
        "other_fees": {k: str(v) for k, v in other.items()},
        "taxes_and_fees": str(fees),
        "total_cost": str(price + fees),
        "plans": {
            "full": {"pay_now": str(price + fees)},
            "mortgage": mortgage_plan(price, fees, req),
            "instalments": instalment_plan(price, fees, req.instalments),
        },
    }


def _check_quote_request(req: QuoteRequest) -> None:
    if not (Decimal("0") <= req.discount_percent < Decimal("100")) or not (0 <= req.discount_amount <= STORABLE):
        raise InvalidInput("discount must be a percent in [0, 100) and a non-negative amount")
    if not (Decimal("0.2") <= req.down_payment_ratio < Decimal("1")):
        raise InvalidInput("down_payment_ratio must be at least 0.20 and below 1")
    if not (1 <= req.years <= 30) or not (Decimal("0") <= req.annual_rate < Decimal("0.5")):
        raise InvalidInput("years must be 1–30 and annual_rate a fraction below 0.5")
    if req.annual_rate.as_tuple().exponent < -6 or req.down_payment_ratio.as_tuple().exponent < -4:  # type: ignore
        raise InvalidInput("annual_rate has at most 6 decimal places, down_payment_ratio at most 4")
    if not (1 <= req.instalments <= 36):
        raise InvalidInput("instalments must be 1–36")


def mortgage_plan(price: Decimal, fees: Decimal, req: QuoteRequest) -> dict[str, Any]:
    """Down payment, loan, and the monthly payments of both repayment methods."""
    down = to_fen(price * req.down_payment_ratio)
    loan, months = price - down, req.years * 12
    monthly = equal_instalment(loan, req.annual_rate, months)
    principal = equal_principal(loan, req.annual_rate, months)
    return {
        "down_payment": str(down),
        "pay_at_signing": str(down + fees),
        "loan": str(loan),
        "years": req.years,
        "months": months,
        "annual_rate": str(req.annual_rate),
        "equal_instalment": {"monthly_payment": str(monthly), "total_interest": str(monthly * months - loan)},
        "equal_principal": {
            "first_month": str(principal[0]),
            "last_month": str(principal[-1]),
            "monthly_decrease": str(to_fen(loan / months * req.annual_rate / 12)),
            "total_interest": str(sum(principal, Decimal("0.00")) - loan),
        },
    }


def instalment_plan(price: Decimal, fees: Decimal, count: int) -> dict[str, Any]:
    """Equal instalments to the fen; the last one takes the rounding so the sum is exact."""
    each = to_fen(price / count)
    schedule = [each] * (count - 1) + [price - each * (count - 1)]
    return {"count": count, "first_with_fees": str(schedule[0] + fees), "schedule": [str(a) for a in schedule]}
