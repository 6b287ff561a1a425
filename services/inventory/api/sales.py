"""The deal's steps: subscription (R27), contract (R29), handover (R32)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from services.inventory import use_cases
from services.inventory.domain import ContractSigning, SubscriptionTerms
from shared.http.auth import Who
from shared.http.fields import Day, Id, Name, Reason, Time
from shared.http.requests import by_path_id, found_in_pool, parse_uuid, pool_of
from shared.kernel.money import Money

router = APIRouter(tags=["sales"])


class DownPayment(BaseModel):
    amount: Money
    due_date: Day


class Subscription(BaseModel):
    buyer_signed: bool
    down_payment: DownPayment
    quote_id: Id | None = None  # R21: a live quote of this unit sets the sale's price


class Contract(BaseModel):
    contract_no: Name
    signatory: Literal["buyer", "attorney"]
    poa_notarized: bool = False
    id_copy_kept: bool


class Handover(BaseModel):
    handed_over_at: Time


class Cancellation(BaseModel):
    reason: Reason


class DownPaymentOut(BaseModel):
    amount: str
    due_date: str


class Subscribed(BaseModel):
    sale_id: str
    status: str
    price: str
    down_payment: DownPaymentOut


class Contracted(BaseModel):
    sale_id: str
    status: str
    contract_no: str
    signed_at: str


class HandedOver(BaseModel):
    sale_id: str
    status: str
    handed_over_at: str
    contract_no: str


class Cancelled(BaseModel):
    sale_id: str
    status: str
    unit_status: str
    reason: str


_sale_project = by_path_id(use_cases.sale_in_reach, "sale id")


@router.post("/v1/sales/{sale_id}/subscription", response_model=Subscribed)
async def sign_subscription(sale_id: str, body: Subscription, request: Request, who: Who) -> dict:
    """认购 (R27): the buyer signs the subscription and the down payment falls due; countersigned by the manager or a
    designee the manager named; a live quote of the unit (`quote_id`) sets the price (one made before the unit was
    repriced → 422 `quote_outdated`); a step out of order → 409 `invalid_transition`."""
    terms = SubscriptionTerms(body.buyer_signed, body.down_payment.amount, body.down_payment.due_date)
    quote_id, sid = parse_uuid(body.quote_id, "quote_id", optional=True), parse_uuid(sale_id, "sale id")
    async with pool_of(request).acquire() as conn:
        sid, capacity = await use_cases.sale_to_countersign(conn, sid, who)
        return await use_cases.sign_subscription(
            conn, sid, terms, (who.sub, capacity), lambda unit_id: use_cases.quoted_price(conn, quote_id, unit_id)
        )


@router.post("/v1/sales/{sale_id}/cancellation", response_model=Cancelled)
async def cancel_sale(sale_id: str, body: Cancellation, request: Request, who: Who) -> dict:
    """退订: a reserved or subscribed sale is cancelled; the unit is available; payments refunds."""
    who.require_role("manager")
    return await found_in_pool(request, _sale_project, sale_id, who, use_cases.cancel_sale, body.reason, who.sub)


@router.post("/v1/sales/{sale_id}/contract", response_model=Contracted)
async def sign_contract(sale_id: str, body: Contract, request: Request, who: Who) -> dict:
    """签约 (R29): after the subscription, by the buyer or an attorney with a notarised power of attorney, a copy
    of the signatory's ID kept."""
    who.require_role("manager")
    signing = ContractSigning(body.contract_no.strip(), body.signatory, body.poa_notarized, body.id_copy_kept)
    return await found_in_pool(request, _sale_project, sale_id, who, use_cases.sign_contract, signing, who.sub)


@router.post("/v1/sales/{sale_id}/handover", response_model=HandedOver)
async def complete_handover(sale_id: str, body: Handover, request: Request, who: Who) -> dict:
    """交房 (R32): the flat is handed over after the contract; leads then passes the resident to the property
    company."""
    who.require_role("manager", "service")
    at = body.handed_over_at
    return await found_in_pool(request, _sale_project, sale_id, who, use_cases.complete_handover, at, who.sub)
