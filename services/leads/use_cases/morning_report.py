"""Leads use case of the group's morning (issue 22, contract v1.2): from 08:30 in its projects' time zone each org
unit's group managers get yesterday's daily report (日报) once, in the app (`role:group_manager:{org_id}`, through
notifications); recorded with its event in one transaction, so a restart never sends it twice and a late start
sends it late, once (a unit made later that day gets it at once)."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from services.leads.domain import morning_report_day, next_morning, zone_of
from services.leads.store import report_reads
from services.leads.store import reports as report_store
from services.leads.use_cases.report_scope import Scope, projects_of
from services.leads.use_cases.reports import daily_report
from shared.kernel.clock import now_utc
from shared.messaging import topics
from shared.messaging.outbox import add_event
from shared.runtime.logs import log
from shared.trust import orgs

MORNING_CHANNEL = report_store.MORNING_CHANNEL


async def send_morning_reports(conn: asyncpg.Connection, now: datetime | None = None) -> int:
    """Every org unit whose 08:30 has come gets yesterday's report, once; how many went now."""
    now = now or now_utc()
    due = [
        (row["org_id"], day, row["name"])
        for row in await report_reads.org_zones(conn)
        if (day := morning_report_day(now, zone_of(row["zones"]))) is not None
    ]
    sent = await report_reads.morning_reports_sent(conn, [(org, day) for org, day, _ in due])
    went = 0
    for org_id, day, name in due:
        if (org_id, day) not in sent:
            went += await _send(conn, org_id, day, name, now)
    return went


async def remember_org(conn: asyncpg.Connection, org_id: str, code: str, name: str) -> None:
    """An org unit made or renamed (org-changed): its name for the reports, and the morning job told (a unit made
    after 08:30 gets yesterday's report at once)."""
    await report_store.save_org_name(conn, uuid.UUID(org_id), code, name)
    await report_store.wake_morning_reports(conn)


async def next_morning_report(conn: asyncpg.Connection) -> datetime | None:
    """When the next org unit's 08:30 comes (the job sleeps until then, or until a new unit is told)."""
    return next_morning(now_utc(), {zone_of(row["zones"]) for row in await report_reads.org_zones(conn)})


async def _send(conn: asyncpg.Connection, org_id: uuid.UUID, day: date, name: str | None, now: datetime) -> int:
    """One unit's report of `day`, recorded and published in one transaction (0: another process sent it)."""
    async with conn.transaction():
        if not await report_store.mark_morning_report(conn, org_id, day, now):
            return 0
        under = sorted(uuid.UUID(p) for p in await orgs.projects_under(conn, [str(org_id)]))
        scope = Scope(tuple(await projects_of(conn, under)), org_id, name)
        totals = (await daily_report(conn, scope, day))["totals"]
        data = {"org_id": str(org_id), "org_name": name, "date": day, "projects": len(under), "totals": totals}
        await add_event(conn, topics.DAILY_REPORT, data, project_id=None)
    log("morning_report_sent", org_id=str(org_id), day=str(day), projects=len(under))
    return 1
