"""HTTP API of leads for the follow-up standard: a customer's profile, tags, grade and consent corrected
(R11, R12), a lost customer closed with its reason (R17), and what the manager chases (R13)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.leads import use_cases
from services.leads.api.common import _pool, _vault, _visible, record
from services.leads.schemas import Close, Closed, CustomerPatch, CustomerRecord
from services.leads.use_cases import CustomerChanges
from shared.http.auth import Who
from shared.http.paging import Page, page_params, paged
from shared.http.requests import project_in_scope

router = APIRouter()


@router.patch("/v1/customers/{customer_id}", response_model=CustomerRecord, response_model_by_alias=True)
async def change_customer(customer_id: str, body: CustomerPatch, request: Request, who: Who) -> dict:
    """R11, R12: the structured profile (fields named change, the rest stay), tags from the project's list,
    grade, visitor type, consent; the customer's history records who changed which fields."""
    who.require_role("consultant", "manager")
    profile = body.profile.model_dump(exclude_unset=True, exclude_none=True, mode="json") if body.profile else {}
    tags = tuple(body.tags) if body.tags is not None else None
    changes = CustomerChanges(profile, tags, body.grade, body.visitor_type, body.consent_share)
    async with _pool(request).acquire() as conn:
        row = await _visible(conn, customer_id, who)
        await use_cases.change_customer(conn, _vault(request), row, changes, who.sub)
        row = await _visible(conn, customer_id, who)
        followups, history = await use_cases.customer_history(conn, row["id"])
    return record(row, _vault(request), followups, history)


@router.post("/v1/customers/{customer_id}/close", response_model=Closed)
async def close(customer_id: str, body: Close, request: Request, who: Who) -> dict:
    """R17: the customer is lost, with a reason from `price, location, layout, competitor, financing, timing,
    other`; a later follow-up reopens them."""
    who.require_role("consultant", "manager")
    async with _pool(request).acquire() as conn:
        row = await _visible(conn, customer_id, who)
        return await use_cases.close_customer(conn, _vault(request), row, body.reason, body.note, who.sub)


class Overdue(BaseModel):
    kind: str  # followup (R13 cadence or the agreed next contact) or callback (R7)
    id: str
    customer_id: str
    consultant_id: str
    due_at: str


@router.get("/v1/projects/{project_id}/followups/overdue", response_model=list[Overdue])
async def overdue(project_id: str, request: Request, who: Who, page: Page = Depends(page_params)) -> Response:
    """R13: follow-ups due by cadence and not done, and call-backs past due, oldest first (manager)."""
    pid = project_in_scope(who, project_id, "manager")
    async with _pool(request).acquire() as conn:
        items = [i | {"due_at": i["due_at"].isoformat()} for i in await use_cases.overdue_followups(conn, pid)]
    start = page.after or ("", "")  # computed list: paged in memory, keyset on (due_at, id)
    items = [i for i in items if (i["due_at"], i["id"]) > tuple(start)]
    return paged(request, page, items[: page.fetch_size()], key_of=lambda i: (i["due_at"], i["id"]))
