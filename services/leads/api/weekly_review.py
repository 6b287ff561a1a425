"""HTTP API of leads for the manager's weekly review (R2, R13, R17): JSON, or CSV with `Accept: text/csv`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from services.leads import use_cases
from services.leads.api.common import vault_of
from shared.http.auth import Who
from shared.http.fields import Code
from shared.http.requests import pool_of, project_in_scope

router = APIRouter(tags=["reports"])


@router.get(
    "/v1/projects/{project_id}/reports/weekly",
    response_model=dict[str, Any],
    responses={200: {"content": {"text/csv": {}}, "description": "the review; CSV with Accept: text/csv"}},
)
async def get_weekly_review(project_id: str, request: Request, who: Who, week: Code | None = None) -> Response:
    """R2, R13, R17: the weekly review (ISO week `YYYY-Www`, this week by default) per consultant and for the
    project; one CSV row per consultant with `Accept: text/csv`."""
    pid = project_in_scope(who, project_id, "manager")
    as_csv = "text/csv" in request.headers.get("accept", "")
    async with pool_of(request).acquire() as conn:
        if as_csv:
            sheet = await use_cases.weekly_review_csv(conn, vault_of(request), pid, week)
            return Response(sheet, media_type="text/csv; charset=utf-8")
        return JSONResponse(await use_cases.weekly_review(conn, vault_of(request), pid, week))
