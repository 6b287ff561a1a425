"""One unit: its detail, holds (R19) and quotes (R20, R21)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import orjson
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from services.inventory import store, use_cases
from services.inventory.api.common import _project_of_unit, _unit_json, api_error, pool
from services.inventory.domain import DomainError, QuoteRequest
from services.inventory.use_cases import HoldUnit
from shared.auth import Principal, current_principal
from shared.errors import ApiError
from shared.web import parse_uuid

router = APIRouter()


def _hold_json(hold) -> dict:
    return {"hold_id": str(hold["id"]), "customer_id": str(hold["customer_id"]), "consultant_id": hold["consultant_id"],
            "created_at": hold["created_at"].isoformat(), "expires_at": hold["expires_at"].isoformat()}


def _sale_json(sale) -> dict:
    def doc(raw):
        return (orjson.loads(raw) if isinstance(raw, str) else raw) or {}

    subscription, contract = doc(sale["subscription"]), doc(sale["contract"])
    return {"sale_id": str(sale["id"]), "status": sale["status"], "customer_id": str(sale["customer_id"]),
            "consultant_id": sale["consultant_id"], "hold_id": str(sale["hold_id"]), "deposit_id": sale["deposit_id"],
            "price": str(sale["price"]), "opened_at": sale["opened_at"].isoformat(),
            "down_payment": subscription.get("down_payment"), "contract_no": contract.get("contract_no"),
            "handed_over_at": sale["handed_over_at"].isoformat() if sale["handed_over_at"] else None}


@router.get("/v1/units/{unit_id}")
async def get_unit(unit_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    async with pool(request).acquire() as conn:
        row = await _project_of_unit(conn, unit_id, who)
        hold = await store.hold(conn, row["hold_id"]) if row["hold_id"] and row["status"] == "held" else None
        sale = await store.sale(conn, row["sale_id"]) if row["sale_id"] else None
    return {**_unit_json(row), "floor_price": str(row["floor_price"]),
            "hold": _hold_json(hold) if hold else None, "sale": _sale_json(sale) if sale else None}


class NewHold(BaseModel):
    customer_id: str


@router.post("/v1/units/{unit_id}/holds", status_code=201)
async def hold_unit(unit_id: str, body: NewHold, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("consultant", "sales_control")
    uid = parse_uuid(unit_id, "unit id")
    try:
        customer = uuid.UUID(body.customer_id)
    except ValueError:
        raise ApiError("unknown_customer", "the customer is not registered in this project", 422) from None
    async with pool(request).acquire() as conn:
        try:
            hold = await use_cases.hold_unit(conn, HoldUnit(uid, customer, who.sub), who.require_project)
        except DomainError as exc:
            raise api_error(exc) from exc
    return {k: hold[k] for k in ("hold_id", "unit_id", "customer_id", "consultant_id", "expires_at")}


@router.delete("/v1/units/{unit_id}/holds/{hold_id}")
async def release_hold(unit_id: str, hold_id: str, request: Request,
                       who: Principal = Depends(current_principal)) -> dict:
    who.require_role("consultant", "manager", "sales_control")
    async with pool(request).acquire() as conn:
        await _project_of_unit(conn, unit_id, who)
        try:
            await use_cases.release_hold(conn, uuid.UUID(unit_id), parse_uuid(hold_id, "hold id"), who.sub,
                                         may_release_any=who.role in ("manager", "sales_control", "admin"))
        except DomainError as exc:
            raise api_error(exc) from exc
    return {"hold_id": hold_id, "released": True}


class QuoteDiscount(BaseModel):
    amount: Decimal | None = None
    percent: Decimal | None = None


class QuotePlan(BaseModel):
    down_payment_ratio: Decimal | None = None
    years: int | None = None
    annual_rate: Decimal | None = None
    instalments: int | None = None


class QuoteBody(BaseModel):
    """`discount` is {amount} or {percent}, an amount string ("50000.00") or a percent string ("5%");
    `plan` holds the mortgage and instalment terms. The flat fields are the same terms, spelled out."""

    discount: QuoteDiscount | str | int | None = None
    discount_amount: Decimal | None = None
    discount_percent: Decimal | None = None
    first_home: bool = True
    plan: QuotePlan | None = None
    down_payment_ratio: Decimal | None = None
    years: int | None = None
    annual_rate: Decimal | None = None
    instalments: int | None = None


def _decimal(value: object, name: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        raise ApiError("invalid_request", f"{name} is not a number: {value!r}", 422) from None
    if not number.is_finite():
        raise ApiError("invalid_request", f"{name} is not a number: {value!r}", 422)
    return number


def _quote_request(body: QuoteBody) -> QuoteRequest:
    """One QuoteRequest from either spelling of the body; unset terms keep the domain's defaults."""
    terms: dict[str, object] = {"first_home": body.first_home}
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
        terms["discount_amount"] = _decimal(discount, "discount")
    return QuoteRequest(**terms)


@router.post("/v1/units/{unit_id}/quote")
async def quote(unit_id: str, body: QuoteBody, request: Request, who: Principal = Depends(current_principal)) -> dict:
    req = _quote_request(body)
    async with pool(request).acquire() as conn:
        row = await _project_of_unit(conn, unit_id, who)
        settings = store.project_settings(await store.project(conn, row["project_id"]))
    try:
        return use_cases.quote_unit(row, settings, req)
    except DomainError as exc:
        raise api_error(exc) from exc

