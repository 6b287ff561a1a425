"""Leads use cases of the group's dashboard (issue 22): the morning meeting's page of one project or one org unit —
today and this month per project, the last 30 days, the funnel, the league, targets and their completion — from
the very reports the API answers; shown to staff who may see those reports, or through a read-only link (like
the board's: signed for what it shows, expiring, no personal data)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.leads.domain import month_range
from services.leads.store import report_reads
from services.leads.use_cases.report_scope import Scope, projects_of, report_scope
from services.leads.use_cases.reports import daily_report, daily_series, funnel_report, league, monthly_report
from shared.http.auth import Principal
from shared.kernel.errors import NotFound
from shared.runtime.settings import Settings
from shared.trust import links, orgs

DEFAULT_HOURS, MAX_HOURS = 12, 72  # as the board's links
CHART_DAYS = 30  # the dashboard's chart: today and the 29 days before


async def dashboard_link(
    conn: asyncpg.Connection,
    who: Principal,
    settings: Settings,
    asked: tuple[str | None, str | None],
    hours: int,
    now: datetime,
) -> dict[str, str]:
    """A read-only link to the dashboard of one project or one org unit, for a manager or a group manager (as the
    reports: their projects, their subtree), valid `hours` (1–72): the page's URL at leads' public address."""
    scope = await report_scope(conn, who, *asked)
    claims = {"org": str(scope.org_id)} if scope.org_id is not None else {"pid": str(scope.ids[0])}
    token, expires = links.make_link(settings.jwt_secret, "dashboard", claims, now, hours, MAX_HOURS)
    return {"url": f"{settings.public_base('leads')}/dashboard?link={token}", "expires_at": expires.isoformat()}


async def scope_of_link(conn: asyncpg.Connection, secret: str, link: str, now: datetime) -> Scope:
    """What a live dashboard link shows, as the tree stands now (a project added to the unit since is in)."""
    claims = links.read_link(secret, "dashboard", link, now)
    if "org" not in claims:
        return Scope(tuple(await projects_of(conn, [uuid.UUID(str(claims["pid"]))])))
    org = await report_reads.org_named(conn, uuid.UUID(str(claims["org"])))
    if org is None:
        raise NotFound("no such org unit")
    under = sorted(uuid.UUID(p) for p in await orgs.projects_under(conn, [str(org["id"])]))
    return Scope(tuple(await projects_of(conn, under)), org["id"], org["name"])


def link_state(secret: str, link: str, now: datetime) -> str:
    """What the page says of a link: live, expired or invalid."""
    try:
        links.read_link(secret, "dashboard", link, now)
    except links.LinkExpired:
        return "expired"
    except links.LinkInvalid:
        return "invalid"
    return "live"


async def dashboard(conn: asyncpg.Connection, scope: Scope, now: datetime) -> dict[str, Any]:
    """Everything the page shows, each part the report the API gives for it: today's daily report, this month's
    with targets, the daily totals of the last 30 days, the funnel of the customers registered in them, and this
    month's league."""
    today = scope.today(now)
    month, first = month_range(today), today - timedelta(days=CHART_DAYS - 1)
    return {
        **scope.about(),
        "today": today.isoformat(),
        "timezone": scope.zone,
        "daily": await daily_report(conn, scope, today),
        "monthly": await monthly_report(conn, scope, month),
        "days": await daily_series(conn, scope, first, today),
        "funnel": await funnel_report(conn, scope, first, today),
        "league": await league(conn, scope, month),
    }
