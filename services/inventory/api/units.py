"""One unit: its detail (with its hold or sale) and quotes (R20, R21); its holds are `holds`'."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.inventory import use_cases
from services.inventory.api.common import UnitOut, project_of_unit, unit_json
from services.inventory.domain import QuoteRequest
from shared.http.api_errors import ApiError
from shared.http.auth import Who
from shared.http.fields import Code
from shared.http.requests import pool_of
from shared.kernel.money import InvalidAmount, Money, parse_money

router = APIRouter(tags=["units"])


def _hold_json(hold) -> dict:
    return {
        "hold_id": str(hold["id"]),
        "customer_id": str(hold["customer_id"]),
        "consultant_id": hold["consultant_id"],
        "created_at": hold["created_at"].isoformat(),
        "expires_at": hold["expires_at"].isoformat(),
    }


def _sale_json(sale) -> dict:
    subscription, contract = sale["subscription"] or {}, sale["contract"] or {}
    return {
        "sale_id": str(sale["id"]),
        "status": sale["status"],
        "customer_id": str(sale["customer_id"]),
        "consultant_id": sale["consultant_id"],
        "hold_id": str(sale["hold_id"]),
        "deposit_id": sale["deposit_id"],
        "price": str(sale["price"]),
        "opened_at": sale["opened_at"].isoformat(),
        "down_payment": subscription.get("down_payment"),
        "contract_no": contract.get("contract_no"),
        "handed_over_at": sale["handed_over_at"].isoformat() if sale["handed_over_at"] else None,
    }


class UnitDetail(UnitOut):
    """One unit, with its current hold or sale."""

    floor_price: str
    hold: dict[str, Any] | None
    sale: dict[str, Any] | None


@router.get("/v1/units/{unit_id}", response_model=UnitDetail)
async def get_unit(unit_id: str, request: Request, who: Who) -> dict:
    """One unit, with its current hold or sale."""
    async with pool_of(request).acquire() as conn:
        row = await project_of_unit(conn, unit_id, who)
        hold, sale = await use_cases.unit_detail(conn, row)
    return {
        **unit_json(row),
        "floor_price": str(row["floor_price"]),
        "hold": _hold_json(hold) if hold else None,
        "sale": _sale_json(sale) if sale else None,
    }


Rate = Annotated[Decimal, Field(ge=0, lt=1, max_digits=10, decimal_places=6)]
Percent = Annotated[Decimal, Field(ge=0, lt=100, max_digits=8, decimal_places=4)]


class QuoteDiscount(BaseModel):
    amount: Money | None = None
    percent: Percent | None = None


class QuotePlan(BaseModel):
    down_payment_ratio: Rate | None = None
    years: int | None = Field(default=None, ge=1, le=30)
    annual_rate: Rate | None = None
    instalments: int | None = Field(default=None, ge=1, le=36)


class QuoteBody(BaseModel):
    """`discount` is {amount} or {percent}, an amount string ("50000.00") or a percent string ("5%");
    `plan` holds the mortgage and instalment terms. The flat fields are the same terms, spelled out."""

    discount: QuoteDiscount | Code | None = None
    discount_amount: Money | None = None
    discount_percent: Percent | None = None
    first_home: bool = True
    plan: QuotePlan | None = None
    down_payment_ratio: Rate | None = None
    years: int | None = Field(default=None, ge=1, le=30)
    annual_rate: Rate | None = None
    instalments: int | None = Field(default=None, ge=1, le=36)


def _decimal(value: object, name: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        raise ApiError("invalid_request", f"{name} is not a number: {value!r}", 422) from None
    if not number.is_finite() or not Decimal("0") <= number < Decimal("100") or int(number.as_tuple().exponent) < -4:
        raise ApiError("invalid_request", f"{name} is a percent from 0 to 100 with at most 4 places", 422)
    return number


def quote_request(body: QuoteBody) -> QuoteRequest:
    """One QuoteRequest from either spelling of the body; unset terms keep the domain's defaults."""
    terms: dict[str, Any] = {"first_home": body.first_home}
    for name in ("discount_amount", "discount_percent", "down_payment_ratio", "years", "annual_rate", "instalments"):
        if getattr(body, name) is not None:
            terms[name] = getattr(body, name)
    if body.plan is not None:
        terms.update({k: v for k, v in body.plan.model_dump().items() if v is not None})
    discount = body.discount
    if isinstance(discount, QuoteDiscount):
        if discount.amount is not None:
            terms["discount_amount"] = discount.amount
        if discount.percent is not None:
            terms["discount_percent"] = discount.percent
    elif isinstance(discount, str) and discount.strip().endswith("%"):
        terms["discount_percent"] = _decimal(discount.strip()[:-1], "discount")
    elif discount is not None:
        try:
            terms["discount_amount"] = parse_money(discount)
        except InvalidAmount as exc:
            raise ApiError("invalid_amount", str(exc), 422) from None
    return QuoteRequest(**terms)


@router.post("/v1/units/{unit_id}/quote", response_model=dict[str, Any])
async def quote_unit(unit_id: str, body: QuoteBody, request: Request, who: Who) -> dict:
    """R20, R21: the price, taxes, fees and plans; kept as `quote_id` for 7 days (a subscription may name it)."""
    async with pool_of(request).acquire() as conn:
        row = await project_of_unit(conn, unit_id, who)  # the project first, then anything about the body
        req = quote_request(body)
        settings = await use_cases.settings_of(conn, row["project_id"])
        return await use_cases.make_quote(conn, row, settings, req, who.sub)
