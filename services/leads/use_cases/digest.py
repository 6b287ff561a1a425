"""Leads use case of the manager's morning (R13): at 09:00 project time, one digest of the overdue follow-ups
and call-backs per consultant, published for notifications to put in front of the project's managers."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from services.leads import store
from services.leads.domain import digest_day, digest_lines
from services.leads.use_cases.reads import overdue_followups
from shared.kernel.clock import now_utc
from shared.messaging import topics
from shared.messaging.outbox import add_event
from shared.runtime.logs import log


async def send_digests(conn: asyncpg.Connection, now: datetime | None = None) -> int:
    """R13: every project whose local 09:00 has come gets today's digest once (a late start sends it late, once)."""
    now, sent = now or now_utc(), 0
    for project in await store.projects(conn):
        day = digest_day(now, project["timezone"])
        if day is not None:
            sent += await _digest(conn, project["project_id"], day, now)
    return sent


async def _digest(conn: asyncpg.Connection, project_id: uuid.UUID, day: date, now: datetime) -> int:
    """One project's digest, recorded and published in one transaction (a crash sends it once, later)."""
    async with conn.transaction():
        items = await overdue_followups(conn, project_id, now)
        if not await store.save_digest(conn, project_id, day, now, len(items)):
            return 0
        names = await store.staff_names(conn, sorted({item["consultant_id"] for item in items}))
        lines = [line | {"oldest_due_at": line["oldest_due_at"].isoformat()} for line in digest_lines(items, names)]
        data = {"project_id": str(project_id), "day": day, "overdue": len(items), "consultants": lines}
        await add_event(conn, topics.OVERDUE_DIGEST, data, project_id=str(project_id))
    log("overdue_digest_sent", project_id=str(project_id), day=str(day), overdue=len(items))
    return 1
