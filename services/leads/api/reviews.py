"""HTTP API of leads for the manager's reviews: referrals (R34, 老带新) and the weekly review (R2, R13, R17)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from services.leads import use_cases
from services.leads.api.common import _pool, _vault
from services.leads.domain import WEEKLY_COUNTS
from shared.http.auth import Who
from shared.http.exports import csv_text
from shared.http.fields import Code
from shared.http.paging import Page, after_time_and_id, page_params, paged
from shared.http.requests import project_in_scope

router = APIRouter()


class Referral(BaseModel):
    id: str
    referrer_customer_id: str
    customer_id: str
    # registered, then rewarded once the referred buyer's contract is signed; never rewarded: key_visitor (R5: staff
    # or a competitor's agent on a side), self_referral (the same person on both sides)
    status: str
    reward: str | None
    registered_at: str
    rewarded_at: str | None


@router.get("/v1/projects/{project_id}/referrals", response_model=list[Referral])
async def referrals(project_id: str, request: Request, who: Who, page: Page = Depends(page_params)) -> Response:
    """R34: a project's referrals, oldest first; both sides are rewarded when the referred buyer signs."""
    pid = project_in_scope(who, project_id, "manager")
    async with _pool(request).acquire() as conn:
        rows = await use_cases.referrals_page(conn, pid, (after_time_and_id(page), page.fetch_size()))
    return paged(request, page, rows, key_of=lambda r: (r["registered_at"], r["id"]))


_CSV_COLUMNS = ("consultant_id", *WEEKLY_COUNTS, "within_3_rings_rate", "lost_by_reason")


@router.get(
    "/v1/projects/{project_id}/reports/weekly",
    response_model=dict[str, Any],
    responses={200: {"content": {"text/csv": {}}, "description": "the review; CSV with Accept: text/csv"}},
)
async def weekly(project_id: str, request: Request, who: Who, week: Code | None = None) -> Response:
    """R2, R13, R17: the weekly review (ISO week `YYYY-Www`, this week by default) per consultant and for the
    project; one CSV row per consultant with `Accept: text/csv`."""
    pid = project_in_scope(who, project_id, "manager")
    async with _pool(request).acquire() as conn:
        review = await use_cases.weekly_review(conn, _vault(request), pid, week)
    if "text/csv" in request.headers.get("accept", ""):
        return Response(_csv(review["by_consultant"]), media_type="text/csv; charset=utf-8")
    return JSONResponse(review)


def _csv(rows: list[dict[str, Any]]) -> str:
    """One line per consultant; every cell through the one export rule (a consultant id is someone's text)."""
    return csv_text(_CSV_COLUMNS, ([*(row[name] for name in _CSV_COLUMNS[:-1]), _lost(row)] for row in rows))


def _lost(row: dict[str, Any]) -> str:
    return ";".join(f"{reason}={count}" for reason, count in sorted(row["lost_by_reason"].items()))
