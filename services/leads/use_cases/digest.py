"""Leads use case of the manager's morning (R13): at 09:00 project time, one digest of the overdue follow-ups
and call-backs per consultant, published for notifications to put in front of the project's managers. Each pass
first asks which projects still owe today's digest (one short query), so from 09:00 to midnight a pass costs
nothing more than that; a digest counts the overdue rows per consultant by index."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from services.leads import store
from services.leads.domain import digest_day, summed_digest_lines
from services.leads.use_cases.overdue import overdue_counts
from shared.kernel.clock import now_utc
from shared.messaging import topics
from shared.messaging.outbox import add_event
from shared.runtime.logs import log


async def send_digests(conn: asyncpg.Connection, now: datetime | None = None) -> int:
    """R13: every project whose local 09:00 has come gets today's digest once (a late start sends it late, once)."""
    now, sent = now or now_utc(), 0
    due = {(p["project_id"], day) for p in await store.projects(conn) if (day := digest_day(now, p["timezone"]))}
    for project_id, day in sorted(due - await store.digests_sent(conn, due)):
        sent += await _digest(conn, project_id, day, now)
    return sent


async def _digest(conn: asyncpg.Connection, project_id: uuid.UUID, day: date, now: datetime) -> int:
    """One project's digest, recorded and published in one transaction (a crash sends it once, later)."""
    async with conn.transaction():
        counts = await overdue_counts(conn, project_id, now)
        overdue = sum(c["followups"] + c["callbacks"] for c in counts)
        if not await store.save_digest(conn, project_id, day, now, overdue):
            return 0
        names = await store.staff_names(conn, sorted(c["consultant_id"] for c in counts))
        lines = [
            line | {"oldest_due_at": line["oldest_due_at"].isoformat()} for line in summed_digest_lines(counts, names)
        ]
        data = {"project_id": str(project_id), "day": day, "overdue": overdue, "consultants": lines}
        await add_event(conn, topics.OVERDUE_DIGEST, data, project_id=str(project_id))
    log("overdue_digest_sent", project_id=str(project_id), day=str(day), overdue=overdue)
    return 1
