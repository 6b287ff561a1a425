"""HTTP API of leads: customers, follow-ups, ownership, calls, timeline."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from services.leads import use_cases
from services.leads.domain import Grade, followup_due, is_key_visitor, is_overdue, normalise_phone, sees_all
from services.leads.schemas import (
    Assign,
    Assigned,
    Call,
    CallLogged,
    CallStats,
    CustomerRecord,
    CustomerSummary,
    Followup,
    FollowupRecorded,
    GradeBody,
    GradeSet,
    Lookup,
    NewCustomer,
    Registered,
    Timeline,
)
from services.leads.use_cases import LogCall, RecordFollowup, RegisterCustomer
from shared.auth import Principal, current_principal
from shared.clock import now_utc
from shared.fields import Code, Day, Id
from shared.paging import Page, after_time_and_id, page_params, paged
from shared.pii import Vault
from shared.web import parse_uuid


async def remember_name(request: Request) -> None:
    """Staff names come only in tokens: keep the latest one per staff id (for "who served you before?")."""
    who = await current_principal(request)
    known: dict[str, str] | None = getattr(request.app.state, "leads_staff_names", None)
    if known is None:
        known = request.app.state.leads_staff_names = {}
    if who.name and known.get(who.sub) != who.name:
        async with _pool(request).acquire() as conn:
            await use_cases.remember_staff(conn, who.sub, who.name)
        known[who.sub] = who.name


router = APIRouter(dependencies=[Depends(remember_name)])


def _pool(request: Request):
    return request.app.state.runtime.pool


def _vault(request: Request) -> Vault:
    vault = getattr(request.app.state, "vault", None)
    if vault is None:
        vault = request.app.state.vault = Vault(request.app.state.settings.pii_key)
    return vault


@router.post(
    "/v1/customers",
    status_code=201,
    response_model=Registered,
    responses={200: {"model": Registered, "description": "the phone was registered already (yours)"}},
)
async def register(body: NewCustomer, request: Request, who: Principal = Depends(current_principal)):
    """R3–R6, R10: 201 for a new customer; 200 with the existing one for a phone already registered."""
    who.require_role("consultant")
    pid = parse_uuid(body.project_id, "project_id")
    who.require_project(str(pid))
    given = {"project_id": pid, "consultant_id": who.sub, "phone": body.phone or None, "tags": tuple(body.tags)}
    cmd = RegisterCustomer(**(body.model_dump() | given))
    async with _pool(request).acquire() as conn:
        answer, created = await use_cases.register_customer(conn, _vault(request), cmd)
    return JSONResponse(answer, status_code=201 if created else 200)


@router.get("/v1/customers/lookup", response_model=Lookup)
async def lookup(project_id: Id, phone: Code, request: Request, who: Principal = Depends(current_principal)) -> dict:
    """R4: "who served you before?" — the owner, never the customer's personal data."""
    who.require_role("consultant", "manager")
    pid = parse_uuid(project_id, "project_id")
    who.require_project(str(pid))
    phone_hash = _vault(request).phone_hash(normalise_phone(phone))
    async with _pool(request).acquire() as conn:
        return await use_cases.lookup_owner(conn, pid, phone_hash)


def _summary(row, vault: Vault, full: bool) -> dict[str, Any]:
    """A customer as the API shows them: masked phone in lists (R18), the full record to owner and manager."""
    due = followup_due(row["last_touch_at"], Grade(row["grade"]) if row["grade"] else None, row["next_contact_at"])
    body = {
        "id": str(row["id"]),
        "project_id": str(row["project_id"]),
        "owner_id": row["owner_id"],
        "name": vault.decrypt(row["name_enc"]),
        "phone": row["phone_masked"],
        "source": row["source"],
        "visitor_type": row["visitor_type"],
        "key_visitor": is_key_visitor(row["visitor_type"]),
        "grade": row["grade"],
        "tags": _tags(row, vault),
        "protected_until": row["protected_until"].isoformat(),
        "last_touch_at": row["last_touch_at"].isoformat(),
        "next_contact_at": row["next_contact_at"].isoformat() if row["next_contact_at"] else None,
        "followup_due_at": due.isoformat() if due else None,
        "followup_overdue": is_overdue(due, now_utc()),
    }
    if full:
        body.update(
            phone=vault.decrypt(row["phone_enc"]) if row["phone_enc"] else None,
            phone_masked=row["phone_masked"],
            profile=_profile(row, vault),
            consent_share=row["consent_share"],
            referred_by=row["referred_by"],
            registered_at=row["registered_at"].isoformat(),
        )
    return body


def _tags(row, vault: Vault) -> list[str]:
    """Sealed since migration 003 (R18); rows the sealing job has not reached keep their plain column."""
    return vault.decrypt_json(row["tags_enc"], []) if row["tags_enc"] is not None else list(row["tags"])


def _profile(row, vault: Vault) -> dict[str, Any]:
    """Encrypted since migration 002; rows from before keep their plain column."""
    if row["profile_enc"] is not None:
        return vault.decrypt_json(row["profile_enc"], {})
    return row["profile"] or {}


@router.get("/v1/customers", response_model=list[CustomerSummary])
async def list_customers(
    project_id: Id,
    request: Request,
    overdue: bool = False,
    page: Page = Depends(page_params),
    who: Principal = Depends(current_principal),
) -> Response:
    """R8: a consultant sees their own customers, a manager all of the project; phones masked (R18), newest
    first. `overdue=true` keeps those whose follow-up is due and not done (R13), before the page is cut."""
    who.require_role("consultant", "manager")
    pid = parse_uuid(project_id, "project_id")
    who.require_project(str(pid))
    owner, after = None if sees_all(who.role) else who.sub, after_time_and_id(page)
    async with _pool(request).acquire() as conn:  # the overdue filter is computed: read on until the page fills
        rows = await use_cases.customers_page(conn, pid, owner, after, None if overdue else page.fetch_size())
    items = [(r, _summary(r, _vault(request), full=False)) for r in rows]
    kept = [pair for pair in items if pair[1]["followup_overdue"] or not overdue][: page.fetch_size()]
    return paged(
        request, page, kept, key_of=lambda p: (p[0]["registered_at"].isoformat(), p[0]["id"]), render=lambda p: p[1]
    )


async def _visible(conn: Any, customer_id: str, who: Principal) -> Any:
    return await use_cases.visible_customer(conn, parse_uuid(customer_id, "customer id"), who)


@router.get("/v1/customers/{customer_id}", response_model=CustomerRecord, response_model_by_alias=True)
async def get_customer(customer_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    """R8, R11: the full record, for the owner and the manager."""
    who.require_role("consultant", "manager")
    vault = _vault(request)
    async with _pool(request).acquire() as conn:
        row = await _visible(conn, customer_id, who)
        followups, changes = await use_cases.customer_history(conn, row["id"])
    return _summary(row, vault, full=True) | {
        "followups": [_followup_view(f, vault) for f in followups],
        "ownership_history": [
            {
                "at": c["at"].isoformat(),
                "from": c["from_owner"],
                "to": c["to_owner"],
                "kind": c["kind"],
                "reason": c["reason"],
                "decided_by": c["decided_by"],
            }
            for c in changes
        ],
    }


def _followup_view(row, vault: Vault) -> dict[str, Any]:
    """R8: time, channel, content, feedback (R17) and the agreed next contact (R14) of one follow-up."""
    feedback = vault.decrypt_json(row["feedback_enc"]) if row["feedback_enc"] is not None else row["feedback"]
    return {
        "id": str(row["id"]),
        "at": row["at"].isoformat(),
        "by": row["consultant_id"],
        "channel": row["channel"],
        "content": vault.decrypt(row["content_enc"]),
        "feedback": feedback,
        "next_contact_at": row["next_contact_at"].isoformat(),
    }


@router.post("/v1/customers/{customer_id}/followups", status_code=201, response_model=FollowupRecorded)
async def followup(
    customer_id: str, body: Followup, request: Request, who: Principal = Depends(current_principal)
) -> dict:
    """R8, R10, R14, R16: the owner records a follow-up; protection renews."""
    who.require_role("consultant")
    async with _pool(request).acquire() as conn:
        row = await use_cases.own_customer(conn, parse_uuid(customer_id, "customer id"), who)
        cmd = RecordFollowup(row["id"], who.sub, body.channel, body.content, body.next_contact_at, body.feedback)
        return await use_cases.record_followup(conn, _vault(request), cmd)


@router.put("/v1/customers/{customer_id}/grade", response_model=GradeSet)
async def grade(
    customer_id: str, body: GradeBody, request: Request, who: Principal = Depends(current_principal)
) -> dict:
    """R12, R13: owner or manager sets A/B/C; the answer says when the next follow-up is due."""
    who.require_role("consultant", "manager")
    async with _pool(request).acquire() as conn:
        row = await _visible(conn, customer_id, who)
        return await use_cases.set_grade(conn, row["id"], body.grade, who.sub)


@router.post("/v1/customers/{customer_id}/assign", response_model=Assigned)
async def assign(customer_id: str, body: Assign, request: Request, who: Principal = Depends(current_principal)) -> dict:
    """R9: the manager's ownership decision, with its reason, recorded."""
    who.require_role("manager")
    async with _pool(request).acquire() as conn:
        row = await _visible(conn, customer_id, who)
        return await use_cases.assign(conn, row["id"], body.consultant_id, body.reason, who.sub)


@router.get("/v1/customers/{customer_id}/timeline", response_model=Timeline)
async def timeline(customer_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    """Everything that happened to the customer, from leads' own records and every service's events."""
    who.require_role("consultant", "manager")
    async with _pool(request).acquire() as conn:
        row = await _visible(conn, customer_id, who)
        entries = await use_cases.timeline(conn, row["id"])
    return {"customer_id": str(row["id"]), "timeline": entries}


@router.post("/v1/calls", status_code=201, response_model=CallLogged)
async def log_call(body: Call, request: Request, who: Principal = Depends(current_principal)) -> dict:
    """R1, R3: the call log; a caller who leaves name and number is registered to this consultant."""
    who.require_role("consultant")
    pid = parse_uuid(body.project_id, "project_id")
    who.require_project(str(pid))
    given = {"project_id": pid, "consultant_id": who.sub, "caller_phone": body.caller_phone or None}
    cmd = LogCall(**(body.model_dump() | given))
    async with _pool(request).acquire() as conn:
        return await use_cases.log_call(conn, _vault(request), cmd)


@router.get("/v1/projects/{project_id}/calls/stats", response_model=CallStats)
async def call_stats(
    project_id: str, request: Request, date: Day | None = None, who: Principal = Depends(current_principal)
) -> dict:
    """R2: a day's inbound calls (the project's local day, today by default) per project and consultant."""
    who.require_role("manager", "consultant")
    pid = parse_uuid(project_id, "project_id")
    who.require_project(str(pid))
    async with _pool(request).acquire() as conn:
        day = date or await use_cases.local_today(conn, pid)
        return await use_cases.call_stats(conn, pid, day)
