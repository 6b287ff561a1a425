"""HTTP API of payments for deposits (R22–R26): taken, counted twice, receipted (JSON or printed), banked,
refunded, listed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from services.payments import use_cases
from services.payments.api.common import (
    RECEIPT_RESPONSES,
    Currency,
    PayerBody,
    Receipt,
    Serials,
    payer_of,
    receipt_answer,
    vault_of,
)
from services.payments.domain import DepositRequest
from services.payments.use_cases import TakeDeposit
from shared.http.auth import Who
from shared.http.fields import Code, Id, Name, Short
from shared.http.paging import Paging, after_time_and_id, paged
from shared.http.requests import in_pool, parse_uuid, pool_of, project_in_scope
from shared.kernel.money import Money

router = APIRouter(tags=["payments"])


class NewDeposit(BaseModel):
    unit_id: Id
    hold_id: Id
    customer_id: Id
    amount: Money
    method: Code
    source_of_funds: Short
    reference: Short | None = None
    cheque_no: Id | None = None
    note_serials: Serials = Field(default_factory=list)
    currency: Currency = "CNY"
    payer: PayerBody | Name | None = None
    cny_equivalent: Money | None = None  # foreign money's worth in yuan: R25's limit then applies to it

    def command(self) -> TakeDeposit:
        """The deposit as the use case takes it: the ids parsed (422 naming the field), a payer named alone or
        with their statement."""
        money = (self.amount, self.method, self.source_of_funds, self.currency, self.reference, self.cheque_no)
        request = DepositRequest(*money, tuple(self.note_serials), payer_of(self.payer), self.cny_equivalent)
        hold_id, unit_id = parse_uuid(self.hold_id, "hold_id"), parse_uuid(self.unit_id, "unit_id")
        return TakeDeposit(hold_id, unit_id, parse_uuid(self.customer_id, "customer_id"), request)


class DepositTaken(BaseModel):
    id: str
    status: str
    amount: str


@router.post("/v1/deposits", status_code=201, response_model=DepositTaken)
async def take_deposit(body: NewDeposit, request: Request, who: Who) -> dict:
    """R22–R26: finance, the manager or a designee the manager named (R23) takes a deposit on a current hold."""
    cmd, vault = body.command(), vault_of(request)
    return await in_pool(request, use_cases.take_deposit, cmd, who, vault)


class Verification(BaseModel):
    id: str
    status: str
    verified_by: list[str]
    receipt_no: str | None = None


@router.post("/v1/deposits/{deposit_id}/verifications", response_model=Verification, response_model_exclude_none=True)
async def verify_deposit(deposit_id: str, request: Request, who: Who) -> dict:
    """R23: counted by two different authorised people (finance, the manager, or a designee the manager named); the
    second makes it count, with a receipt number in the project's gap-free series."""
    did = parse_uuid(deposit_id, "deposit id")
    return await in_pool(request, use_cases.verify_deposit, did, who)


@router.get(
    "/v1/deposits/{deposit_id}/receipt",
    response_model=Receipt,
    response_model_exclude_none=True,
    responses=RECEIPT_RESPONSES,
)
async def get_receipt(deposit_id: str, request: Request, who: Who) -> object:
    """R26: the receipt of a deposit counted twice, JSON or (`Accept: application/pdf`) printed: each print after
    the first says 副本, `prints` counts them all."""
    did = parse_uuid(deposit_id, "deposit id")
    return await receipt_answer(request, did, who, use_cases.deposit_receipt, use_cases.print_deposit_receipt)


class Banking(BaseModel):
    bank_ref: Name
    escorts: Annotated[list[Name], Field(max_length=5)]


class Banked(BaseModel):
    id: str
    banked: bool
    bank_ref: str
    escorts: list[str]


@router.post("/v1/deposits/{deposit_id}/banking", response_model=Banked)
async def bank_cash(deposit_id: str, body: Banking, request: Request, who: Who) -> dict:
    who.require_role("finance")
    did = parse_uuid(deposit_id, "deposit id")
    return await in_pool(request, use_cases.bank_cash, did, (body.bank_ref, body.escorts), who)


class Refund(BaseModel):
    reason: Short


class Refunded(BaseModel):
    id: str
    status: str


@router.post("/v1/deposits/{deposit_id}/refund", response_model=Refunded)
async def refund_deposit(deposit_id: str, body: Refund, request: Request, who: Who) -> dict:
    who.require_role("manager")
    did = parse_uuid(deposit_id, "deposit id")
    return await in_pool(request, use_cases.refund, did, body.reason, who)


class DepositRow(BaseModel):
    id: str
    unit_id: str
    amount: str
    method: str
    status: str
    receipt_no: str | None
    banking_due_at: datetime | None
    banked_at: datetime | None
    banking_overdue: bool


@router.get("/v1/projects/{project_id}/deposits", response_model=list[DepositRow])
async def list_deposits(
    project_id: str, request: Request, page: Paging, who: Who, banking: Code | None = None
) -> Response:
    """Deposits of a project, oldest first; `?banking=overdue` lists cash not banked in time (R24)."""
    pid = project_in_scope(who, project_id, "finance", "manager")
    overdue_only, after = banking == "overdue", after_time_and_id(page)
    async with pool_of(request).acquire() as conn:
        listed = await use_cases.list_deposits(conn, pid, overdue_only, after, page.fetch_size())
    return paged(request, page, listed, key_of=lambda item: item[0], render=lambda item: item[1])
