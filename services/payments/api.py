"""HTTP API of payments (finance): pydantic in, use case, pydantic out."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from services.payments import use_cases
from services.payments.domain import DepositRequest, Payer, Payment
from shared.http.api_errors import ApiError
from shared.http.auth import Principal, current_principal
from shared.http.fields import Code, Id, Name, Short, Time
from shared.http.paging import Page, after_time_and_id, page_params, paged
from shared.http.requests import by_path_id, parse_uuid, project_in_scope
from shared.kernel.money import Money
from shared.trust import ownership
from shared.trust.pii import Vault

router = APIRouter()
Id = Id


def _pool(request: Request):
    return request.app.state.runtime.pool


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


class DepositTaken(BaseModel):
    id: str
    status: str
    amount: str


@router.post("/v1/deposits", status_code=201, response_model=DepositTaken)
async def take_deposit(body: NewDeposit, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("finance", "manager")
    payer = (
        Payer(body.payer)
        if isinstance(body.payer, str)
        else (Payer(body.payer.name, body.payer.statement_ref) if body.payer else None)
    )
    req = DepositRequest(
        body.amount,
        body.method,
        body.source_of_funds,
        body.currency,
        body.reference,
        body.cheque_no,
        tuple(body.note_serials),
        payer,
    )
    hold_id, unit_id = parse_uuid(body.hold_id, "hold_id"), parse_uuid(body.unit_id, "unit_id")
    customer_id = parse_uuid(body.customer_id, "customer_id")
    vault = Vault(request.app.state.settings.pii_key)
    async with _pool(request).acquire() as conn:
        return await use_cases.take_deposit(
            conn, hold_id, unit_id, customer_id, req, who.sub, who.require_project, vault
        )


_deposit = by_path_id(use_cases.find_deposit, "deposit id")


_sale = by_path_id(use_cases.find_sale, "sale id")


class Verification(BaseModel):
    id: str
    status: str
    verified_by: list[str]
    receipt_no: str | None = None


@router.post("/v1/deposits/{deposit_id}/verifications", response_model=Verification, response_model_exclude_none=True)
async def verify(deposit_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("finance", "manager")
    async with _pool(request).acquire() as conn:
        dep = await _deposit(conn, deposit_id, who)
        return await use_cases.verify_deposit(conn, dep["id"], who.sub)


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
async def receipt(deposit_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    async with _pool(request).acquire() as conn:
        dep = await _deposit(conn, deposit_id, who)
        await ownership.require_own_customer(conn, who, dep["customer_id"])  # R8: a colleague's customer → 404
        return (await use_cases.receipt(conn, dep["id"]))[1]


class Banking(BaseModel):
    bank_ref: Name
    escorts: Annotated[list[Name], Field(max_length=5)]


class Banked(BaseModel):
    id: str
    banked: bool
    bank_ref: str
    escorts: list[str]


@router.post("/v1/deposits/{deposit_id}/banking", response_model=Banked)
async def bank(deposit_id: str, body: Banking, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("finance")
    async with _pool(request).acquire() as conn:
        dep = await _deposit(conn, deposit_id, who)
        return await use_cases.bank_cash(conn, dep["id"], body.bank_ref, body.escorts, who.sub)


class Refund(BaseModel):
    reason: Short


class Refunded(BaseModel):
    id: str
    status: str


@router.post("/v1/deposits/{deposit_id}/refund", response_model=Refunded)
async def refund(deposit_id: str, body: Refund, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("manager")
    async with _pool(request).acquire() as conn:
        dep = await _deposit(conn, deposit_id, who)
        return await use_cases.refund(conn, dep["id"], body.reason, who.sub)


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
    async with _pool(request).acquire() as conn:
        rows = await use_cases.list_deposits(
            conn, pid, banking == "overdue", after_time_and_id(page), page.fetch_size()
        )
    return paged(request, page, rows, key_of=lambda r: (r["taken_at"].isoformat(), r["id"]), render=_deposit_row)


def _deposit_row(row: dict) -> dict:
    return {k: (str(v) if isinstance(v, (uuid.UUID, Decimal)) else v) for k, v in row.items() if k != "taken_at"}


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
async def pay(sale_id: str, body: NewPayment, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("finance")
    if body.amount <= 0:
        raise ApiError("invalid_amount", "a payment is a positive amount", 422)
    async with _pool(request).acquire() as conn:
        sale = await _sale(conn, sale_id, who)
        paid = Payment(**body.model_dump())
        return await use_cases.record_payment(conn, sale["sale_id"], paid, who.sub)


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
async def appointment(
    sale_id: str, body: Appointment, request: Request, who: Principal = Depends(current_principal)
) -> dict:
    who.require_role("consultant", "manager")
    async with _pool(request).acquire() as conn:
        sale = await _sale(conn, sale_id, who)
        await ownership.require_own_customer(conn, who, sale["customer_id"])  # R8: a colleague's buyer → 404
        booking = body.at, body.place, body.documents
        return await use_cases.book_mortgage_appointment(conn, sale["sale_id"], *booking, who.sub)


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
async def sale_ledger(sale_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("finance", "manager")
    async with _pool(request).acquire() as conn:
        sale = await _sale(conn, sale_id, who)
        return (await use_cases.ledger(conn, sale["sale_id"]))[1]
