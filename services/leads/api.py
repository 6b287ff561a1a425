"""HTTP API of leads: customers, follow-ups, ownership, calls, timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from services.leads import store, use_cases
from services.leads.domain import DomainError, Grade, followup_due, is_protected
from services.leads.pii import Vault
from services.leads.use_cases import RegisterCustomer, RetryRegistration, now_utc
from shared.auth import Principal, current_principal
from shared.errors import ApiError, NotFound
from shared.web import parse_uuid

router = APIRouter()
STATUS_OF = {"not_found": 404}


def api_error(exc: DomainError) -> ApiError:
    return ApiError(exc.code, str(exc), STATUS_OF.get(exc.code, 422))


def _pool(request: Request):
    return request.app.state.runtime.pool


def _vault(request: Request) -> Vault:
    vault = getattr(request.app.state, "vault", None)
    if vault is None:
        vault = request.app.state.vault = Vault(request.app.state.settings.pii_key)
    return vault


class NewCustomer(BaseModel):
    project_id: str
    name: str = Field(min_length=1, max_length=100)
    phone: str | None = Field(default=None, max_length=40)
    source: str = Field(min_length=1, max_length=40)
    visitor_type: str = "customer"
    profile: dict[str, Any] = Field(default_factory=dict)
    tags: list[str] = Field(default_factory=list)
    grade: str | None = None
    consent_share: bool = False
    referred_by: str | None = None


@router.post("/v1/customers", status_code=201)
async def register(body: NewCustomer, request: Request, who: Principal = Depends(current_principal)):
    who.require_role("consultant")
    pid = parse_uuid(body.project_id, "project_id")
    who.require_project(str(pid))
    cmd = RegisterCustomer(pid, who.sub, body.name, body.phone, body.source, body.visitor_type, body.profile,
                           tuple(body.tags), body.grade, body.consent_share, body.referred_by)
    async with _pool(request).acquire() as conn:
        await store.remember_staff(conn, who.sub, who.name)
        for attempt in range(2):
            try:
                answer, created = await use_cases.register_customer(conn, _vault(request), cmd)
                break
            except RetryRegistration:
                continue
            except DomainError as exc:
                raise api_error(exc) from exc
    from fastapi.responses import JSONResponse

    return JSONResponse(answer, status_code=201 if created else 200)


@router.get("/v1/customers/lookup")
async def lookup(project_id: str, phone: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    """R4: "who served you before?" — the owner, never the customer's personal data."""
    who.require_role("consultant", "manager")
    pid = parse_uuid(project_id, "project_id")
    who.require_project(str(pid))
    from services.leads.domain import normalise_phone

    try:
        phone_hash = _vault(request).phone_hash(normalise_phone(phone))
    except DomainError as exc:
        raise api_error(exc) from exc
    async with _pool(request).acquire() as conn:
        row = await store.customer_by_phone(conn, pid, phone_hash)
        if row is None:
            return {"exists": False, "owner_id": None, "owner_name": None, "protected_until": None}
        name = await store.staff_name(conn, row["owner_id"])
    return {"exists": True, "owner_id": row["owner_id"], "owner_name": name,
            "protected_until": row["protected_until"].isoformat(),
            "protected": is_protected(row["protected_until"], now_utc())}


def _summary(row, vault: Vault, full: bool) -> dict[str, Any]:
    grade = Grade(row["grade"]) if row["grade"] else None
    due = followup_due(row["last_touch_at"], grade)
    body = {"id": str(row["id"]), "project_id": str(row["project_id"]), "owner_id": row["owner_id"],
            "name": vault.decrypt(row["name_enc"]), "phone": row["phone_masked"], "source": row["source"],
            "visitor_type": row["visitor_type"], "key_visitor": row["visitor_type"] != "customer",
            "grade": row["grade"], "tags": list(row["tags"]), "protected_until": row["protected_until"].isoformat(),
            "next_contact_at": row["next_contact_at"].isoformat() if row["next_contact_at"] else None,
            "followup_due_at": due.isoformat() if due else None,
            "followup_overdue": bool(due and due < now_utc())}
    if full:
        body.update(phone=vault.decrypt(row["phone_enc"]) if row["phone_enc"] else None,
                    profile=orjson.loads(row["profile"]) if isinstance(row["profile"], str) else row["profile"],
                    consent_share=row["consent_share"], referred_by=row["referred_by"],
                    registered_at=row["registered_at"].isoformat())
    return body


@router.get("/v1/customers")
async def list_customers(project_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    """R8: a consultant sees their own customers; a manager all of the project. Phones masked."""
    who.require_role("consultant", "manager")
    pid = parse_uuid(project_id, "project_id")
    who.require_project(str(pid))
    async with _pool(request).acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM customers WHERE project_id = $1 AND ($2::text IS NULL OR owner_id = $2)"
            " ORDER BY registered_at DESC LIMIT 500", pid, who.sub if who.role == "consultant" else None)
    vault = _vault(request)
    return {"customers": [_summary(r, vault, full=False) for r in rows]}


async def _visible(conn, customer_id: str, who: Principal, owner_only: bool = False):
    """The customer if this person may see them; 404 otherwise (R8: others' customers don't exist for you)."""
    row = await store.customer(conn, parse_uuid(customer_id, "customer id"))
    if row is None or not who.works_on(str(row["project_id"])):
        raise NotFound("not_found", "no such customer")
    is_owner = row["owner_id"] == who.sub
    if owner_only and not is_owner:
        raise NotFound("not_found", "no such customer of yours")
    if not is_owner and who.role not in ("manager", "admin"):
        raise NotFound("not_found", "no such customer")
    return row


@router.get("/v1/customers/{customer_id}")
async def get_customer(customer_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    async with _pool(request).acquire() as conn:
        row = await _visible(conn, customer_id, who)
    return _summary(row, _vault(request), full=True)


class Followup(BaseModel):
    channel: str
    content: str = Field(max_length=4000)
    next_contact_at: datetime
    feedback: dict[str, Any] | None = None


@router.post("/v1/customers/{customer_id}/followups", status_code=201)
async def followup(customer_id: str, body: Followup, request: Request,
                   who: Principal = Depends(current_principal)) -> dict:
    who.require_role("consultant")
    async with _pool(request).acquire() as conn:
        row = await _visible(conn, customer_id, who, owner_only=True)
        try:
            return await use_cases.record_followup(conn, _vault(request), row["id"], who.sub, body.channel,
                                                   body.content, body.next_contact_at, body.feedback)
        except DomainError as exc:
            raise api_error(exc) from exc


class GradeBody(BaseModel):
    grade: str


@router.put("/v1/customers/{customer_id}/grade")
async def grade(customer_id: str, body: GradeBody, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("consultant", "manager")
    async with _pool(request).acquire() as conn:
        row = await _visible(conn, customer_id, who)
        try:
            return await use_cases.set_grade(conn, row["id"], body.grade)
        except DomainError as exc:
            raise api_error(exc) from exc


class Assign(BaseModel):
    consultant_id: str = Field(min_length=1)
    reason: str = Field(min_length=1)


@router.post("/v1/customers/{customer_id}/assign")
async def assign(customer_id: str, body: Assign, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("manager")
    async with _pool(request).acquire() as conn:
        row = await _visible(conn, customer_id, who)
        try:
            return await use_cases.assign(conn, row["id"], body.consultant_id, body.reason, who.sub)
        except DomainError as exc:
            raise api_error(exc) from exc


@router.get("/v1/customers/{customer_id}/timeline")
async def timeline(customer_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    async with _pool(request).acquire() as conn:
        row = await _visible(conn, customer_id, who)
        entries = await conn.fetch("SELECT at, kind, detail FROM timeline WHERE customer_id = $1 ORDER BY at, id",
                                   row["id"])
    return {"customer_id": customer_id, "timeline": [
        {"at": e["at"].isoformat(), "kind": e["kind"],
         "detail": orjson.loads(e["detail"]) if isinstance(e["detail"], str) else e["detail"]} for e in entries]}


class Call(BaseModel):
    project_id: str
    rang_at: datetime
    answered_at: datetime | None = None
    rings: int | None = Field(default=None, ge=1, le=50)
    caller_phone: str | None = None
    caller_name: str | None = None
    asked: str | None = Field(default=None, max_length=2000)


@router.post("/v1/calls", status_code=201)
async def log_call(body: Call, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("consultant")
    pid = parse_uuid(body.project_id, "project_id")
    who.require_project(str(pid))
    if body.rang_at.tzinfo is None or (body.answered_at and body.answered_at < body.rang_at):
        raise ApiError("invalid_request", "rang_at needs an offset, and answered_at cannot precede it", 422)
    async with _pool(request).acquire() as conn:
        try:
            return await use_cases.log_call(conn, _vault(request), pid, who.sub, body.model_dump())
        except DomainError as exc:
            raise api_error(exc) from exc


@router.get("/v1/projects/{project_id}/calls/stats")
async def call_stats(project_id: str, request: Request, date: date | None = None,
                     who: Principal = Depends(current_principal)) -> dict:
    who.require_role("manager", "consultant")
    pid = parse_uuid(project_id, "project_id")
    who.require_project(str(pid))
    async with _pool(request).acquire() as conn:
        return await use_cases.call_stats(conn, pid, (date or now_utc().date()).isoformat())
