"""The deal's steps: subscription (R27), contract (R29), handover (R32)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.inventory import store, use_cases
from services.inventory.api.common import api_error, pool
from services.inventory.domain import ContractSigning, DomainError, SubscriptionTerms, money
from shared.auth import Principal, current_principal
from shared.errors import ApiError, NotFound
from shared.web import parse_uuid

router = APIRouter()


class DownPayment(BaseModel):
    amount: Decimal
    due_date: date


class Subscription(BaseModel):
    buyer_signed: bool
    down_payment: DownPayment


class Contract(BaseModel):
    contract_no: str = Field(min_length=1, max_length=80)
    signatory: Literal["buyer", "attorney"]
    poa_notarized: bool = False
    id_copy_kept: bool


class Handover(BaseModel):
    handed_over_at: datetime


async def _sale_project(conn, sale_id: str, who: Principal) -> uuid.UUID:
    sid = parse_uuid(sale_id, "sale id")
    row = await store.sale(conn, sid)
    if row is None:
        raise NotFound("not_found", "no such sale")
    who.require_project(str(row["project_id"]))
    return sid


def _money_field(value: Decimal, name: str) -> Decimal:
    try:
        return money(value)
    except ValueError:
        raise ApiError("invalid_request", f"{name} is not an amount", 422) from None


@router.post("/v1/sales/{sale_id}/subscription")
async def subscription(sale_id: str, body: Subscription, request: Request,
                       who: Principal = Depends(current_principal)) -> dict:
    who.require_role("manager")
    terms = SubscriptionTerms(body.buyer_signed, _money_field(body.down_payment.amount, "down_payment.amount"),
                              body.down_payment.due_date)
    async with pool(request).acquire() as conn:
        sid = await _sale_project(conn, sale_id, who)
        try:
            return await use_cases.sign_subscription(conn, sid, terms, who.sub)
        except DomainError as exc:
            raise api_error(exc) from exc


@router.post("/v1/sales/{sale_id}/contract")
async def contract(sale_id: str, body: Contract, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("manager")
    signing = ContractSigning(body.contract_no.strip(), body.signatory, body.poa_notarized, body.id_copy_kept)
    async with pool(request).acquire() as conn:
        sid = await _sale_project(conn, sale_id, who)
        try:
            return await use_cases.sign_contract(conn, sid, signing, who.sub)
        except DomainError as exc:
            raise api_error(exc) from exc


@router.post("/v1/sales/{sale_id}/handover")
async def handover(sale_id: str, body: Handover, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("manager", "service")
    async with pool(request).acquire() as conn:
        sid = await _sale_project(conn, sale_id, who)
        try:
            return await use_cases.complete_handover(conn, sid, body.handed_over_at, who.sub)
        except DomainError as exc:
            raise api_error(exc) from exc

