"""HTTP API of leads for the group's dashboard (issue 22): its read-only link, its figures (for a link, or for staff
who may see the reports) and the page itself — a static file, no build step — with the charting library it draws
with (Apache ECharts, served from here: the machine may have no internet)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from services.leads import use_cases
from services.leads.api.report_models import Dashboard, DashboardLink, NewDashboardLink
from shared.http import pages
from shared.http.auth import Who, current_principal
from shared.http.fields import Id
from shared.http.requests import in_pool, pool_of
from shared.kernel.clock import now_utc

router = APIRouter(tags=["reports"])  # with a staff token
public = APIRouter(tags=["reports"])  # a dashboard link instead of a token: no staff name to remember
_HERE = Path(__file__).parent
PAGE = pages.page("集团经营看板 · Group dashboard", _HERE / "dashboard.html")
GONE = pages.GonePage(
    title="集团经营看板 · Group dashboard",
    background="#f2f4f7",
    color="#1d2733",
    h1_size="2.4rem",
    h1_color="#17324d",
    p_size="1.3rem",
    p_color="#6b7785",
    ask="请向项目经理或集团经理申请新的看板链接 · Ask a project or group manager for a new dashboard link.",
)
ECHARTS = (_HERE / "vendor" / "echarts.min.js").read_bytes()
Link = Annotated[str | None, Query(max_length=2000, description="a dashboard link (instead of a staff token)")]


@router.post("/v1/reports/links", status_code=201, response_model=DashboardLink)
async def create_dashboard_link(body: NewDashboardLink, request: Request, who: Who) -> dict:
    """A read-only link to the dashboard of one project or one org unit (`/dashboard?link=…` on leads' port): no
    personal data, expiring (12 h by default, at most 72)."""
    settings, asked = request.app.state.settings, (body.project_id, body.org_id)
    return await in_pool(request, use_cases.dashboard_link, who, settings, asked, body.hours, now_utc())


@public.get("/v1/reports/dashboard", response_model=Dashboard)
async def get_dashboard(
    request: Request, link: Link = None, project_id: Id | None = None, org_id: Id | None = None
) -> Response:
    """What the dashboard shows: today's and this month's reports, the last 30 days, the funnel, the league; for a
    dashboard link, or for staff who may see the reports of the project or org unit named."""
    now = now_utc()
    async with pool_of(request).acquire() as conn:
        if link is None:
            scope = await use_cases.report_scope(conn, await current_principal(request), project_id, org_id)
        else:
            scope = await use_cases.scope_of_link(conn, request.app.state.settings.jwt_secret, link, now)
        return JSONResponse(await use_cases.dashboard(conn, scope, now), headers={"Cache-Control": "no-store"})


@public.get("/dashboard", include_in_schema=False)
async def page(request: Request, link: str = Query("", max_length=2000)) -> HTMLResponse:
    """The dashboard for the morning meeting; an expired, tampered or missing link gets a page that says so."""
    state = use_cases.link_state(request.app.state.settings.jwt_secret, link, now_utc()) if link else "missing"
    if state != "live":
        return _gone(state)
    config = orjson.dumps({"link": link}).decode().replace("</", "<\\/")
    return HTMLResponse(PAGE.replace("/*DASHBOARD*/null", config), headers={"Cache-Control": "no-store"})


@public.get("/dashboard/echarts.min.js", include_in_schema=False)
async def charts() -> Response:
    """Apache ECharts (Apache-2.0), the file its npm package ships (version and licence: api/vendor/README.md)."""
    return Response(ECHARTS, media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})


_GONE: dict[str, tuple[str, str, int]] = {
    "expired": ("链接已过期", "This dashboard link has expired", 410),
    "invalid": ("链接无效", "This dashboard link is not valid", 403),
    "missing": ("需要看板链接", "Open the dashboard through a link (POST /v1/reports/links)", 403),
}


def _gone(state: str) -> HTMLResponse:
    zh, en, status = _GONE[state]
    return HTMLResponse(GONE.render(zh, en), status_code=status)
