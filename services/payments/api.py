"""HTTP API of payments (finance): pydantic in, use case, pydantic out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from services.payments import use_cases
from services.payments.domain import DepositRequest, Payer, Payment
from services.payments.use_cases import TakeDeposit
from shared.http.auth import Principal, current_principal
from shared.http.fields import Code, Id, Name, Short, Time
from shared.http.paging import Page, after_time_and_id, page_params, paged
from shared.http.requests import parse_uuid, pool_of, project_in_scope
from shared.kernel.money import Money
from shared.trust.pii import Vault

router = APIRouter(tags=["payments"])


class PayerBody(BaseModel):
    name: Name
    statement_ref: Short | None = None


class NewDeposit(BaseModel):
    unit_id: Id
    hold_id: Id
    customer_id: Id
    amount: Money
    method: Code
    source_of_funds: Short
    reference: Short | None = None
    cheque_no: Id | None = None
    note_serials: Annotated[list[Id], Field(max_length=200)] = Field(default_factory=list)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    payer: PayerBody | Name | None = None

    def command(self) -> TakeDeposit:
        """The deposit as the use case takes it: the ids parsed (422 naming the field), a payer named alone or
        with their statement."""
        payer = self.payer
        named = Payer(payer.name, payer.statement_ref) if isinstance(payer, PayerBody) else None
        who_paid = Payer(payer) if isinstance(payer, str) else named
        money = (self.amount, self.method, self.source_of_funds, self.currency, self.reference, self.cheque_no)
        request = DepositRequest(*money, tuple(self.note_serials), who_paid)
        hold_id, unit_id = parse_uuid(self.hold_id, "hold_id"), parse_uuid(self.unit_id, "unit_id")
        return TakeDeposit(hold_id, unit_id, parse_uuid(self.customer_id, "customer_id"), request)


class DepositTaken(BaseModel):
    id: str
    status: str
    amount: str


@router.post("/v1/deposits", status_code=201, response_model=DepositTaken)
async def take_deposit(body: NewDeposit, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("finance", "manager")
    cmd, vault = body.command(), Vault(request.app.state.settings.pii_key)
    async with pool_of(request).acquire() as conn:
        return await use_cases.take_deposit(conn, cmd, who, vault)


class Verification(BaseModel):
    id: str
    status: str
    verified_by: list[str]
    receipt_no: str | None = None


@router.post("/v1/deposits/{deposit_id}/verifications", response_model=Verification, response_model_exclude_none=True)
async def verify_deposit(deposit_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("finance", "manager")
    did = parse_uuid(deposit_id, "deposit id")
    async with pool_of(request).acquire() as conn:
        return await use_cases.verify_deposit(conn, did, who)


class Receipt(BaseModel):
    receipt_no: str
    unit_number: str | None
    amount: str
    currency: str
    amount_in_words: str
    method: str
    source_of_funds: str
    issued_at: str
    verified_by: list[str | None]
    cheque_no: str | None = None
    note_serials: list[str] | None = None


@router.get("/v1/deposits/{deposit_id}/receipt", response_model=Receipt, response_model_exclude_none=True)
async def get_receipt(deposit_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    did = parse_uuid(deposit_id, "deposit id")
    async with pool_of(request).acquire() as conn:
        return await use_cases.receipt(conn, did, who)


class Banking(BaseModel):
    bank_ref: Name
    escorts: Annotated[list[Name], Field(max_length=5)]


class Banked(BaseModel):
    id: str
    banked: bool
    bank_ref: str
    escorts: list[str]


@router.post("/v1/deposits/{deposit_id}/banking", response_model=Banked)
async def bank_cash(
    deposit_id: str, body: Banking, request: Request, who: Principal = Depends(current_principal)
) -> dict:
    who.require_role("finance")
    did = parse_uuid(deposit_id, "deposit id")
    async with pool_of(request).acquire() as conn:
        return await use_cases.bank_cash(conn, did, (body.bank_ref, body.escorts), who)


class Refund(BaseModel):
    reason: Short


class Refunded(BaseModel):
    id: str
    status: str


@router.post("/v1/deposits/{deposit_id}/refund", response_model=Refunded)
async def refund_deposit(
    deposit_id: str, body: Refund, request: Request, who: Principal = Depends(current_principal)
) -> dict:
    who.require_role("manager")
    did = parse_uuid(deposit_id, "deposit id")
    async with pool_of(request).acquire() as conn:
        return await use_cases.refund(conn, did, body.reason, who)


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
    project_id: str,
    request: Request,
    banking: Code | None = None,
    page: Page = Depends(page_params),
    who: Principal = Depends(current_principal),
) -> Response:
    """Deposits of a project, oldest first; `?banking=overdue` lists cash not banked in time (R24)."""
    pid = project_in_scope(who, project_id, "finance", "manager")
    overdue_only, after = banking == "overdue", after_time_and_id(page)
    async with pool_of(request).acquire() as conn:
        listed = await use_cases.list_deposits(conn, pid, overdue_only, after, page.fetch_size())
    return paged(request, page, listed, key_of=lambda item: item[0], render=lambda item: item[1])


class PaymentTaken(BaseModel):
    id: str
    sale_id: str
    kind: str
    amount: str


class NewPayment(BaseModel):
    kind: Code
    amount: Money
    method: Code
    reference: Short | None = None


@router.post("/v1/sales/{sale_id}/payments", status_code=201, response_model=PaymentTaken)
async def record_payment(
    sale_id: str, body: NewPayment, request: Request, who: Principal = Depends(current_principal)
) -> dict:
    who.require_role("finance")
    sid = parse_uuid(sale_id, "sale id")
    paid = Payment(kind=body.kind, amount=body.amount, method=body.method, reference=body.reference)
    async with pool_of(request).acquire() as conn:
        return await use_cases.record_payment(conn, sid, paid, who)


class Appointment(BaseModel):
    at: Time
    place: Short
    documents: Annotated[list[Short], Field(max_length=30)]


class AppointmentBooked(BaseModel):
    id: str
    sale_id: str
    at: str
    place: str
    documents: list[str]


@router.post("/v1/sales/{sale_id}/mortgage-appointment", status_code=201, response_model=AppointmentBooked)
async def book_mortgage_appointment(
    sale_id: str, body: Appointment, request: Request, who: Principal = Depends(current_principal)
) -> dict:
    who.require_role("consultant", "manager")
    sid = parse_uuid(sale_id, "sale id")
    async with pool_of(request).acquire() as conn:
        return await use_cases.book_mortgage_appointment(conn, sid, (body.at, body.place, body.documents), who)


class LedgerEntry(BaseModel):
    at: str
    kind: str
    amount: str
    actor: str | None
    ref: str | None


class Ledger(BaseModel):
    sale_id: str
    price: str
    entries: list[LedgerEntry]
    received: str
    outstanding: str


@router.get("/v1/sales/{sale_id}/ledger", response_model=Ledger)
async def get_ledger(sale_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("finance", "manager")
    sid = parse_uuid(sale_id, "sale id")
    async with pool_of(request).acquire() as conn:
        return await use_cases.ledger(conn, sid, who)
