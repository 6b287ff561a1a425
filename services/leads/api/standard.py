"""HTTP API of leads for the follow-up standard: a customer's profile, tags, grade and consent corrected
(R11, R12), and a lost customer closed with its reason (R17). Owner or manager."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from services.leads import use_cases
from services.leads.api.common import _pool, _vault, _visible, record
from services.leads.schemas import Close, Closed, CustomerPatch, CustomerRecord
from services.leads.use_cases import CustomerChanges
from shared.auth import Principal, current_principal

router = APIRouter()


@router.patch("/v1/customers/{customer_id}", response_model=CustomerRecord, response_model_by_alias=True)
async def change_customer(
    customer_id: str, body: CustomerPatch, request: Request, who: Principal = Depends(current_principal)
) -> dict:
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
async def close(customer_id: str, body: Close, request: Request, who: Principal = Depends(current_principal)) -> dict:
    """R17: the customer is lost, with a reason from `price, location, layout, competitor, financing, timing,
    other`; a later follow-up reopens them."""
    who.require_role("consultant", "manager")
    async with _pool(request).acquire() as conn:
        row = await _visible(conn, customer_id, who)
        return await use_cases.close_customer(conn, _vault(request), row, body.reason, body.note, who.sub)
