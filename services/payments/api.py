"""HTTP API of payments (finance)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.payments import use_cases
from services.payments.domain import Conflict, DepositRequest, DomainError, Payer, money
from shared.auth import Principal, current_principal
from shared.errors import ApiError
from shared.web import parse_uuid

router = APIRouter()


def api_error(exc: DomainError) -> ApiError:
    status = 404 if exc.code == "not_found" else 409 if isinstance(exc, Conflict) else 422
    return ApiError(exc.code, str(exc), status)


def _pool(request: Request):
    return request.app.state.runtime.pool


class PayerBody(BaseModel):
    name: str
    statement_ref: str | None = None


class NewDeposit(BaseModel):
    unit_id: str
    hold_id: str
    customer_id: str
    amount: Decimal
    method: str
    source_of_funds: str
    reference: str | None = None
    cheque_no: str | None = None
    note_serials: list[str] = Field(default_factory=list)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    payer: PayerBody | str | None = None


@router.post("/v1/deposits", status_code=201)
async def take_deposit(body: NewDeposit, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("finance", "manager")
    payer = Payer(body.payer) if isinstance(body.payer, str) else (
        Payer(body.payer.name, body.payer.statement_ref) if body.payer else None)
    try:
        req = DepositRequest(money(body.amount), body.method, body.source_of_funds, body.currency, body.reference,
                             body.cheque_no, tuple(body.note_serials), payer)
        async with _pool(request).acquire() as conn:
            return await use_cases.take_deposit(conn, parse_uuid(body.hold_id, "hold_id"), parse_uuid(body.unit_id, "unit_id"),
                                                parse_uuid(body.customer_id, "customer_id"), req, who.sub,
                                                who.require_project)
    except DomainError as exc:
        raise api_error(exc) from exc


async def _deposit_project(conn, deposit_id: uuid.UUID, who: Principal) -> None:
    project = await conn.fetchval("SELECT project_id FROM deposits WHERE id = $1", deposit_id)
    if project is None:
        raise ApiError("not_found", "no such deposit", 404)
    who.require_project(str(project))


@router.post("/v1/deposits/{deposit_id}/verifications")
async def verify(deposit_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("finance", "manager")
    did = parse_uuid(deposit_id, "deposit id")
    async with _pool(request).acquire() as conn:
        await _deposit_project(conn, did, who)
        try:
            return await use_cases.verify_deposit(conn, did, who.sub)
        except DomainError as exc:
            raise api_error(exc) from exc


@router.get("/v1/deposits/{deposit_id}/receipt")
async def receipt(deposit_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    async with _pool(request).acquire() as conn:
        try:
            project_id, body = await use_cases.receipt(conn, parse_uuid(deposit_id, "deposit id"))
        except DomainError as exc:
            raise api_error(exc) from exc
    who.require_project(str(project_id))
    return body


class Banking(BaseModel):
    bank_ref: str = Field(min_length=1)
    escorts: list[str]


@router.post("/v1/deposits/{deposit_id}/banking")
async def bank(deposit_id: str, body: Banking, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("finance")
    did = parse_uuid(deposit_id, "deposit id")
    async with _pool(request).acquire() as conn:
        await _deposit_project(conn, did, who)
        try:
            return await use_cases.bank_cash(conn, did, body.bank_ref, body.escorts, who.sub)
        except DomainError as exc:
            raise api_error(exc) from exc


class Refund(BaseModel):
    reason: str


@router.post("/v1/deposits/{deposit_id}/refund")
async def refund(deposit_id: str, body: Refund, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("manager")
    did = parse_uuid(deposit_id, "deposit id")
    async with _pool(request).acquire() as conn:
        await _deposit_project(conn, did, who)
        try:
            return await use_cases.refund(conn, did, body.reason, who.sub)
        except DomainError as exc:
            raise api_error(exc) from exc


@router.get("/v1/projects/{project_id}/deposits")
async def list_deposits(project_id: str, request: Request, banking: str | None = None,
                        who: Principal = Depends(current_principal)) -> dict:
    """Deposits of a project; `?banking=overdue` lists cash not banked in time (R24)."""
    who.require_role("finance", "manager")
    pid = parse_uuid(project_id, "project id")
    who.require_project(str(pid))
    async with _pool(request).acquire() as conn:
        rows = await conn.fetch("SELECT id, unit_id, amount, method, status, receipt_no, banking_due_at, banked_at,"
                                " banking_overdue FROM deposits WHERE project_id = $1 AND ($2 OR banking_overdue)"
                                " ORDER BY taken_at", pid, banking != "overdue")
    return {"deposits": [{k: (str(v) if v is not None and not isinstance(v, bool) else v) for k, v in r.items()}
                         for r in rows]}


async def _sale_project(conn, sale_id: str, who: Principal) -> uuid.UUID:
    sid = parse_uuid(sale_id, "sale id")
    project = await conn.fetchval("SELECT project_id FROM sales WHERE sale_id = $1", sid)
    if project is None:
        raise ApiError("not_found", "no such sale (yet): payments learns of a sale from its subscription", 404)
    who.require_project(str(project))
    return sid


class NewPayment(BaseModel):
    kind: str
    amount: Decimal
    method: str
    reference: str | None = None


@router.post("/v1/sales/{sale_id}/payments", status_code=201)
async def pay(sale_id: str, body: NewPayment, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("finance")
    async with _pool(request).acquire() as conn:
        sid = await _sale_project(conn, sale_id, who)
        try:
            return await use_cases.record_payment(conn, sid, body.kind, money(body.amount), body.method,
                                                  body.reference, who.sub)
        except DomainError as exc:
            raise api_error(exc) from exc


class Appointment(BaseModel):
    at: datetime
    place: str
    documents: list[str]


@router.post("/v1/sales/{sale_id}/mortgage-appointment", status_code=201)
async def appointment(sale_id: str, body: Appointment, request: Request,
                      who: Principal = Depends(current_principal)) -> dict:
    who.require_role("consultant", "manager")
    async with _pool(request).acquire() as conn:
        sid = await _sale_project(conn, sale_id, who)
        try:
            return await use_cases.book_mortgage_appointment(conn, sid, body.at, body.place, body.documents, who.sub)
        except DomainError as exc:
            raise api_error(exc) from exc


@router.get("/v1/sales/{sale_id}/ledger")
async def sale_ledger(sale_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("finance", "manager")
    async with _pool(request).acquire() as conn:
        sid = await _sale_project(conn, sale_id, who)
        _, body = await use_cases.ledger(conn, sid)
    return body
