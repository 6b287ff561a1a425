"""HTTP API of leads for customers: registration, lookup, lists, the record, follow-ups, grade, assignment,
timeline. Pydantic in, a use case, pydantic out."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from services.leads import use_cases
from services.leads.api.common import vault_of
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
from services.leads.use_cases import CustomerQuery, RecordFollowup, RegisterCustomer
from shared.http.auth import Who
from shared.http.fields import Code, Id
from shared.http.paging import Paging, after_time_and_id, paged
from shared.http.requests import in_pool, parse_uuid, pool_of, project_in_scope

router = APIRouter(tags=["customers"])


@router.post(
    "/v1/customers",
    status_code=201,
    response_model=Registered,
    responses={200: {"model": Registered, "description": "the phone was registered already (yours)"}},
)
async def register_customer(body: NewCustomer, request: Request, who: Who):
    """R3–R6, R10: 201 for a new customer; 200 with the existing one for a phone already registered. R11, R12: the
    profile and tags validated as PATCH validates them; R14: `next_contact_at`, the agreed next contact (out of quiet
    hours, else 422 `quiet_hours`), else the grade's cadence sets the due time. R34: a new customer's referral by
    `referred_by` (an owner among the project's customers) or, v1.2, `referred_by_phone` (an owner in any project
    of the group); anyone else is recorded `not_an_owner` and never rewarded; a phone that is none: 422
    `invalid_phone`."""
    who.require_role("consultant")
    pid = parse_uuid(body.project_id, "project_id")
    who.require_project(str(pid))
    profile = body.profile.model_dump(exclude_unset=True, exclude_none=True, mode="json") if body.profile else {}
    given = {"project_id": pid, "consultant_id": who.sub, "phone": body.phone or None, "tags": tuple(body.tags)}
    given |= {"referred_by_phone": body.referred_by_phone or None, "profile": profile}
    cmd = RegisterCustomer(**(body.model_dump() | given))
    async with pool_of(request).acquire() as conn:
        answer, created = await use_cases.register_customer(conn, vault_of(request), cmd)
    return JSONResponse(answer, status_code=201 if created else 200)


@router.get("/v1/customers/lookup", response_model=Lookup)
async def look_up_owner(project_id: Id, phone: Code, request: Request, who: Who) -> dict:
    """R4: "who served you before?" — the owner, never the customer's personal data; and (v1.2) `elsewhere`: the
    group's other projects where the phone is a customer who consented to sharing (R18), or an owner."""
    pid = project_in_scope(who, project_id, "consultant", "manager")
    return await in_pool(request, use_cases.lookup_owner, vault_of(request), pid, phone)


@router.get("/v1/customers", response_model=list[CustomerSummary])
async def list_customers(project_id: Id, request: Request, who: Who, page: Paging, overdue: bool = False) -> Response:
    """R8: a consultant sees their own customers, a manager all of the project; phones masked (R18), newest
    first. `overdue=true` keeps those whose follow-up is due and not done (R13), before the page is cut."""
    pid = project_in_scope(who, project_id, "consultant", "manager")
    query = CustomerQuery(pid, who, overdue, after_time_and_id(page), page.fetch_size())
    async with pool_of(request).acquire() as conn:
        listed = await use_cases.customers_page(conn, vault_of(request), query)
    return paged(request, page, listed, key_of=lambda item: item[0], render=lambda item: item[1])


@router.get("/v1/customers/{customer_id}", response_model=CustomerRecord, response_model_by_alias=True)
async def get_customer(customer_id: str, request: Request, who: Who) -> dict:
    """R8, R11: the full record, for the owner and the manager."""
    who.require_role("consultant", "manager")
    cid = parse_uuid(customer_id, "customer id")
    return await in_pool(request, use_cases.customer_record, vault_of(request), cid, who)


@router.post("/v1/customers/{customer_id}/followups", status_code=201, response_model=FollowupRecorded)
async def record_followup(customer_id: str, body: Followup, request: Request, who: Who) -> dict:
    """R8, R10, R14, R16: the owner records a follow-up; protection renews."""
    who.require_role("consultant")
    feedback = body.feedback.model_dump() if body.feedback else None
    said = (body.channel, body.content, body.next_contact_at, feedback)
    cmd = RecordFollowup(parse_uuid(customer_id, "customer id"), who.sub, *said)
    return await in_pool(request, use_cases.record_own_followup, vault_of(request), cmd, who)


@router.put("/v1/customers/{customer_id}/grade", response_model=GradeSet)
async def set_grade(customer_id: str, body: GradeBody, request: Request, who: Who) -> dict:
    """R12, R13: owner or manager sets A/B/C; the answer says when the next follow-up is due."""
    who.require_role("consultant", "manager")
    cid = parse_uuid(customer_id, "customer id")
    return await in_pool(request, use_cases.set_grade, cid, body.grade, who)


@router.post("/v1/customers/{customer_id}/assign", response_model=Assigned)
async def assign_customer(customer_id: str, body: Assign, request: Request, who: Who) -> dict:
    """R9: the manager's ownership decision, with its reason, recorded."""
    who.require_role("manager")
    cid = parse_uuid(customer_id, "customer id")
    return await in_pool(request, use_cases.assign, cid, body.consultant_id, body.reason, who)


@router.get("/v1/customers/{customer_id}/timeline", response_model=Timeline)
async def get_timeline(customer_id: str, request: Request, who: Who) -> dict:
    """Everything that happened to the customer, from leads' own records and every service's events."""
    who.require_role("consultant", "manager")
    cid = parse_uuid(customer_id, "customer id")
    return await in_pool(request, use_cases.customer_timeline, cid, who)
