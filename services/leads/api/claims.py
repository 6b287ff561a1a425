"""HTTP API of leads for claims between consultants (R9, 业务交叉): filed by a consultant who is not the owner,
listed for the manager with what each side did, decided by the manager."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.leads import use_cases
from shared.http.auth import Who
from shared.http.fields import Id, Name, Reason
from shared.http.paging import Paging, after_time_and_id, paged
from shared.http.requests import in_pool, parse_uuid, pool_of, project_in_scope

router = APIRouter(tags=["claims"])


class NewClaim(BaseModel):
    reason: Reason


class ClaimFiled(BaseModel):
    id: str
    customer_id: str
    status: str


class Decision(BaseModel):
    winner_id: Name
    reason: Reason


class ClaimDecided(BaseModel):
    id: str
    status: str
    winner_id: str
    owner_id: str


class Side(BaseModel):
    consultant_id: str
    followups: list[dict[str, str]]
    calls: list[str]


class ClaimOut(BaseModel):
    id: str
    customer_id: str
    claimant_id: str
    owner_id: str
    reason: str
    status: str
    winner_id: str | None
    decided_by: str | None
    decision_reason: str | None
    filed_at: str
    decided_at: str | None
    sides: list[Side]


@router.post("/v1/customers/{customer_id}/claims", status_code=201, response_model=ClaimFiled)
async def file_claim(customer_id: str, body: NewClaim, request: Request, who: Who) -> dict:
    """R9: a consultant who is not the owner claims the customer (one open claim per customer and consultant)."""
    who.require_role("consultant")
    return await in_pool(request, use_cases.file_claim, parse_uuid(customer_id, "customer id"), body.reason, who)


@router.post("/v1/claims/{claim_id}/decision", response_model=ClaimDecided)
async def decide_claim(claim_id: str, body: Decision, request: Request, who: Who) -> dict:
    """R9: the manager decides for the owner or the claimant, with a reason; the winner owns the customer."""
    who.require_role("manager")
    return await in_pool(
        request, use_cases.decide_claim, parse_uuid(claim_id, "claim id"), body.winner_id, body.reason, who
    )


@router.get("/v1/claims", response_model=list[ClaimOut])
async def list_claims(
    project_id: Id, request: Request, who: Who, page: Paging, status: Literal["open", "decided"] | None = None
) -> Response:
    """R9: a project's claims, oldest first, each with the follow-ups and calls each side had with the customer."""
    pid = project_in_scope(who, project_id, "manager")
    async with pool_of(request).acquire() as conn:
        rows = await use_cases.claims_page(conn, pid, status, (after_time_and_id(page), page.fetch_size()))
    return paged(request, page, rows, key_of=lambda c: (c["filed_at"], c["id"]))
