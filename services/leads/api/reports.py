"""HTTP API of leads for the group's reports (issue 22, contract v1.2 "Reports (leads)"): daily (日报), monthly (月报)
with targets (指标), the funnel and the consultants' league, for one project or one org unit; JSON, or a CSV
(`Accept: text/csv`) or an Excel workbook (`Accept: application/vnd.openxmlformats-officedocument.spreadsheetml
.sheet`) of the same figures; the month's targets. Who may see which report is the use cases' to decide."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from services.leads import use_cases
from services.leads.api.report_models import (
    DailyReport,
    FunnelReport,
    LeagueLine,
    MonthlyReport,
    MonthTargets,
    NewTargets,
)
from shared.http.auth import Who
from shared.http.exports import CSV, XLSX, download, export_type
from shared.http.fields import Code, Id
from shared.http.requests import in_pool, pool_of

router = APIRouter(tags=["reports"])
FILES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {CSV: {}, XLSX: {}},
        "description": "the report; a CSV with Accept: text/csv, an Excel workbook with Accept: " + XLSX,
    }
}
ProjectId = Annotated[Id | None, Query(description="one project (or org_id)")]
OrgId = Annotated[Id | None, Query(description="one org unit and its subtree (or project_id)")]
Month = Annotated[Code | None, Query(description="YYYY-MM; this month by default")]
Day = Annotated[Code | None, Query(description="YYYY-MM-DD; yesterday by default")]
First = Annotated[Code | None, Query(alias="from", description="YYYY-MM-DD")]
Last = Annotated[Code | None, Query(alias="to", description="YYYY-MM-DD")]


async def _report(request: Request, who: Who, name: str, query: use_cases.ReportQuery) -> Response:
    """The report as JSON, or as the file the Accept header asks for."""
    media = export_type(request.headers.get("accept"))
    async with pool_of(request).acquire() as conn:
        answer = await use_cases.report(conn, who, name, query)
    if media is None:
        return JSONResponse(answer)
    return download(use_cases.report_file(name, answer, media), media, name)


@router.get("/v1/reports/daily", response_model=DailyReport, responses=FILES)
async def get_daily_report(
    request: Request, who: Who, project_id: ProjectId = None, org_id: OrgId = None, date: Day = None
) -> Response:
    """One local day's figures, in total and per project; for one project, per consultant too."""
    return await _report(request, who, "daily", use_cases.ReportQuery(project_id, org_id, date=date))


@router.get("/v1/reports/monthly", response_model=MonthlyReport, responses=FILES)
async def get_monthly_report(
    request: Request, who: Who, project_id: ProjectId = None, org_id: OrgId = None, month: Month = None
) -> Response:
    """A month's figures as the daily report gives them, with each project's targets and their completion."""
    return await _report(request, who, "monthly", use_cases.ReportQuery(project_id, org_id, month=month))


@router.get("/v1/reports/funnel", response_model=FunnelReport, responses=FILES)
async def get_funnel_report(
    request: Request,
    who: Who,
    project_id: ProjectId = None,
    org_id: OrgId = None,
    first: First = None,
    last: Last = None,
) -> Response:
    """The customers registered in [from, to] (this month so far by default) and how many reached each stage."""
    query = use_cases.ReportQuery(project_id, org_id, first=first, last=last)
    return await _report(request, who, "funnel", query)


@router.get("/v1/reports/consultants", response_model=list[LeagueLine], responses=FILES)
async def get_consultant_league(
    request: Request, who: Who, project_id: ProjectId = None, org_id: OrgId = None, month: Month = None
) -> Response:
    """The consultants' league of a month: contracts amount, then subscriptions amount, then consultant id."""
    return await _report(request, who, "consultants", use_cases.ReportQuery(project_id, org_id, month=month))


@router.put("/v1/projects/{project_id}/targets/{month}", response_model=MonthTargets)
async def put_targets(project_id: str, month: str, body: NewTargets, request: Request, who: Who) -> dict:
    """The project's targets for the month (YYYY-MM), as money strings; a group manager over it or an admin."""
    given = {name: getattr(body, name) for name in body.model_fields_set}
    return await in_pool(request, use_cases.set_targets, who, project_id, month, given)
