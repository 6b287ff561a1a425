"""HTTP API of leads for the follow-up standard: a customer's profile, tags, grade and consent corrected
(R11, R12), a lost customer closed with its reason (R17), and what the manager chases (R13)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.leads import use_cases
from services.leads.api.common import vault_of
from services.leads.schemas import Close, Closed, CustomerPatch, CustomerRecord
from services.leads.use_cases import CustomerChanges
from shared.http.auth import Who
from shared.http.paging import Paging, paged
from shared.http.requests import in_pool, parse_uuid, pool_of, project_in_scope

router = APIRouter(tags=["customers"])


@router.patch("/v1/customers/{customer_id}", response_model=CustomerRecord, response_model_by_alias=True)
async def change_customer(customer_id: str, body: CustomerPatch, request: Request, who: Who) -> dict:
    """R11, R12: the structured profile (fields named change, the rest stay), tags from the project's list,
    grade, visitor type, consent; the customer's history records who changed which fields."""
    who.require_role("consultant", "manager")
    profile = body.profile.model_dump(exclude_unset=True, exclude_none=True, mode="json") if body.profile else {}
    tags = tuple(body.tags) if body.tags is not None else None
    changes = CustomerChanges(profile, tags, body.grade, body.visitor_type, body.consent_share)
    cid = parse_uuid(customer_id, "customer id")
    return await in_pool(request, use_cases.change_customer, vault_of(request), cid, changes, who)


@router.post("/v1/customers/{customer_id}/close", response_model=Closed)
async def close_customer(customer_id: str, body: Close, request: Request, who: Who) -> dict:
    """R17: the customer is lost, with a reason from `price, location, layout, competitor, financing, timing,
    other`; a later follow-up reopens them."""
    who.require_role("consultant", "manager")
    cid = parse_uuid(customer_id, "customer id")
    return await in_pool(request, use_cases.close_customer, vault_of(request), cid, (body.reason, body.note), who)


class Overdue(BaseModel):
    kind: str  # followup (R13 cadence or the agreed next contact) or callback (R7)
    id: str
    customer_id: str
    consultant_id: str
    due_at: str


@router.get("/v1/projects/{project_id}/followups/overdue", response_model=list[Overdue])
async def list_overdue(project_id: str, request: Request, who: Who, page: Paging) -> Response:
    """R13: follow-ups due by cadence and not done, and call-backs past due, oldest first (manager)."""
    pid = project_in_scope(who, project_id, "manager")
    async with pool_of(request).acquire() as conn:
        items = await use_cases.overdue_page(conn, pid, page.after, page.fetch_size())
    return paged(request, page, items, key_of=lambda i: (i["due_at"], i["id"]))
