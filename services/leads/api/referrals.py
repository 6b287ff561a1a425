"""HTTP API of leads for referrals (R34, 老带新): the manager's list of who referred whom, and what each earned."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.leads import use_cases
from shared.http.auth import Who
from shared.http.paging import Paging, after_time_and_id, paged
from shared.http.requests import pool_of, project_in_scope

router = APIRouter(tags=["referrals"])


class Referral(BaseModel):
    id: str
    project_id: str  # the referred customer's project
    referrer_customer_id: str | None  # None: a phone that owns no home in the group (`not_an_owner`)
    referrer_project_id: str | None  # v1.2: the referrer's project (another of the group's, perhaps)
    referrer_phone: str | None  # v1.2: the referrer's phone as given, masked (R18); None when named by id
    customer_id: str
    # registered, then rewarded once the referred buyer's contract is signed; never rewarded: key_visitor (R5: staff
    # or a competitor's agent on a side), self_referral (the same person on both sides), not_an_owner (v1.2)
    status: str
    reward: str | None
    registered_at: str
    rewarded_at: str | None


@router.get("/v1/projects/{project_id}/referrals", response_model=list[Referral])
async def list_referrals(project_id: str, request: Request, who: Who, page: Paging) -> Response:
    """R34: a project's referrals, oldest first, including (v1.2) those its owners made in the group's other
    projects; both sides are rewarded when the referred buyer signs."""
    pid = project_in_scope(who, project_id, "manager")
    async with pool_of(request).acquire() as conn:
        rows = await use_cases.referrals_page(conn, pid, (after_time_and_id(page), page.fetch_size()))
    return paged(request, page, rows, key_of=lambda r: (r["registered_at"], r["id"]))
