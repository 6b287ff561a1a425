"""HTTP API of leads for customers: registration, lookup, lists, the record, follow-ups, grade, assignment,
timeline. Pydantic in, a use case, pydantic out."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from services.leads import use_cases
from services.leads.api.common import _pool, _summary, _vault, _visible, record
from services.leads.domain import normalise_phone, sees_all
from services.leads.schemas import (
    Assign,
    Assigned,
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
from services.leads.use_cases import RecordFollowup, RegisterCustomer
from shared.http.auth import Who
from shared.http.fields import Code, Id
from shared.http.paging import Page, after_time_and_id, page_params, paged
from shared.http.requests import parse_uuid, project_in_scope

router = APIRouter()


@router.post(
    "/v1/customers",
    status_code=201,
    response_model=Registered,
    responses={200: {"model": Registered, "description": "the phone was registered already (yours)"}},
)
async def register(body: NewCustomer, request: Request, who: Who):
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
async def lookup(project_id: Id, phone: Code, request: Request, who: Who) -> dict:
    """R4: "who served you before?" — the owner, never the customer's personal data."""
    pid = project_in_scope(who, project_id, "consultant", "manager")
    phone_hash = _vault(request).phone_hash(normalise_phone(phone))
    async with _pool(request).acquire() as conn:
        return await use_cases.lookup_owner(conn, pid, phone_hash)


@router.get("/v1/customers", response_model=list[CustomerSummary])
async def list_customers(
    project_id: Id, request: Request, who: Who, overdue: bool = False, page: Page = Depends(page_params)
) -> Response:
    """R8: a consultant sees their own customers, a manager all of the project; phones masked (R18), newest
    first. `overdue=true` keeps those whose follow-up is due and not done (R13), before the page is cut."""
    pid = project_in_scope(who, project_id, "consultant", "manager")
    owner, after = None if sees_all(who.role) else who.sub, after_time_and_id(page)
    async with _pool(request).acquire() as conn:  # the overdue filter is computed: read on until the page fills
        rows = await use_cases.customers_page(conn, pid, owner, after, None if overdue else page.fetch_size())
    items = [(r, _summary(r, _vault(request), full=False)) for r in rows]
    kept = [pair for pair in items if pair[1]["followup_overdue"] or not overdue][: page.fetch_size()]
    return paged(
        request, page, kept, key_of=lambda p: (p[0]["registered_at"].isoformat(), p[0]["id"]), render=lambda p: p[1]
    )


@router.get("/v1/customers/{customer_id}", response_model=CustomerRecord, response_model_by_alias=True)
async def get_customer(customer_id: str, request: Request, who: Who) -> dict:
    """R8, R11: the full record, for the owner and the manager."""
    who.require_role("consultant", "manager")
    vault = _vault(request)
    async with _pool(request).acquire() as conn:
        row = await _visible(conn, customer_id, who)
        followups, changes = await use_cases.customer_history(conn, row["id"])
    return record(row, vault, followups, changes)


@router.post("/v1/customers/{customer_id}/followups", status_code=201, response_model=FollowupRecorded)
async def followup(customer_id: str, body: Followup, request: Request, who: Who) -> dict:
    """R8, R10, R14, R16: the owner records a follow-up; protection renews."""
    who.require_role("consultant")
    async with _pool(request).acquire() as conn:
        row = await use_cases.own_customer(conn, parse_uuid(customer_id, "customer id"), who)
        feedback = body.feedback.model_dump() if body.feedback else None
        cmd = RecordFollowup(row["id"], who.sub, body.channel, body.content, body.next_contact_at, feedback)
        return await use_cases.record_followup(conn, _vault(request), cmd)


@router.put("/v1/customers/{customer_id}/grade", response_model=GradeSet)
async def grade(customer_id: str, body: GradeBody, request: Request, who: Who) -> dict:
    """R12, R13: owner or manager sets A/B/C; the answer says when the next follow-up is due."""
    who.require_role("consultant", "manager")
    async with _pool(request).acquire() as conn:
        row = await _visible(conn, customer_id, who)
        return await use_cases.set_grade(conn, row["id"], body.grade, who.sub)


@router.post("/v1/customers/{customer_id}/assign", response_model=Assigned)
async def assign(customer_id: str, body: Assign, request: Request, who: Who) -> dict:
    """R9: the manager's ownership decision, with its reason, recorded."""
    who.require_role("manager")
    async with _pool(request).acquire() as conn:
        row = await _visible(conn, customer_id, who)
        return await use_cases.assign(conn, row["id"], body.consultant_id, body.reason, who.sub)


@router.get("/v1/customers/{customer_id}/timeline", response_model=Timeline)
async def timeline(customer_id: str, request: Request, who: Who) -> dict:
    """Everything that happened to the customer, from leads' own records and every service's events."""
    who.require_role("consultant", "manager")
    async with _pool(request).acquire() as conn:
        row = await _visible(conn, customer_id, who)
        entries = await use_cases.timeline(conn, row["id"])
    return {"customer_id": str(row["id"]), "timeline": entries}
