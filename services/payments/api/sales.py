"""HTTP API of payments for a sale after its subscription: payments (by the deposit's rules, R25, R26, R29) and
their receipts, the contract copy signed for (R29), the mortgage appointment (R30), the ledger (R35)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.payments import use_cases
from services.payments.api import common
from services.payments.domain import Payment
from shared.http.auth import Who
from shared.http.fields import Code, Id, Name, Short, Time
from shared.http.requests import in_pool, parse_uuid
from shared.kernel.money import Money

router = APIRouter(tags=["payments"])


class PaymentTaken(BaseModel):
    id: str
    sale_id: str
    kind: str
    amount: str
    currency: str
    receipt_no: str
    amount_in_words: str
    cny_equivalent: str | None = None


class NewPayment(BaseModel):
    kind: Code
    amount: Money
    method: Code
    reference: Short | None = None
    source_of_funds: Short | None = None
    currency: common.Currency = "CNY"
    cny_equivalent: Money | None = None  # required for another currency than CNY; R25's limit applies to it
    cheque_no: Id | None = None
    note_serials: common.Serials = Field(default_factory=list)
    payer: common.PayerBody | Name | None = None

    def payment(self) -> Payment:
        """The payment as the use case takes it."""
        fields = {name: value for name, value in self if name not in ("note_serials", "payer")}  # Payment's names
        return Payment(**fields, note_serials=tuple(self.note_serials), payer=common.payer_of(self.payer))


@router.post(
    "/v1/sales/{sale_id}/payments", status_code=201, response_model=PaymentTaken, response_model_exclude_none=True
)
async def record_payment(sale_id: str, body: NewPayment, request: Request, who: Who) -> dict:
    """Down payment, instalment or balance, by the deposit's rules: `cash_over_limit` (R25, counting the sale's
    cash), `cheque_no_required`, `note_serials_required`, `payer_statement_required` (R29), and another currency
    than CNY with its `cny_equivalent` (`cny_equivalent_required`); the answer's `id` names its receipt."""
    who.require_role("finance")
    sid = parse_uuid(sale_id, "sale id")
    return await in_pool(request, use_cases.record_payment, sid, body.payment(), who, common.vault_of(request))


@router.get(
    "/v1/payments/{payment_id}/receipt",
    response_model=common.Receipt,
    response_model_exclude_none=True,
    responses=common.RECEIPT_RESPONSES,
)
async def get_payment_receipt(payment_id: str, request: Request, who: Who) -> object:
    """R26: a payment's receipt, numbered in the project's series with the deposits', JSON or (`Accept:
    application/pdf`) printed: each print after the first says 副本, `prints` counts them all."""
    pid = parse_uuid(payment_id, "payment id")
    return await common.receipt_answer(request, pid, who, use_cases.payment_receipt, use_cases.print_payment_receipt)


class Collection(BaseModel):
    collected_by: Code
    signed: bool


class Collected(BaseModel):
    sale_id: str
    contract_no: str
    collected_by: str
    signed: bool
    collected_at: str
    recorded_by: str


@router.post("/v1/sales/{sale_id}/contract-collection", status_code=201, response_model=Collected)
async def collect_contract(sale_id: str, body: Collection, request: Request, who: Who) -> dict:
    """R29: the buyer (or attorney) signs for the contract copy: `collected_by` buyer or attorney, `signed` true
    (else 422 `signature_required`); once the contract is signed (409 `contract_not_signed`), once (409
    `already_collected`)."""
    who.require_role("manager", "finance")
    sid = parse_uuid(sale_id, "sale id")
    return await in_pool(request, use_cases.collect_contract, sid, (body.collected_by, body.signed), who)


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
async def book_mortgage_appointment(sale_id: str, body: Appointment, request: Request, who: Who) -> dict:
    who.require_role("consultant", "manager")
    sid = parse_uuid(sale_id, "sale id")
    return await in_pool(request, use_cases.book_mortgage_appointment, sid, (body.at, body.place, body.documents), who)


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
async def get_ledger(sale_id: str, request: Request, who: Who) -> dict:
    who.require_role("finance", "manager")
    sid = parse_uuid(sale_id, "sale id")
    return await in_pool(request, use_cases.ledger, sid, who)
