"""Leads SQL for the managers' 09:00 digest of overdue follow-ups (R13): one per project and local day."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg


async def save_digest(conn: asyncpg.Connection, project_id: uuid.UUID, day: date, at: datetime, overdue: int) -> bool:
    """True the first time only: one digest per project and local day."""
    status = await conn.execute(
        "INSERT INTO digests (project_id, day, sent_at, overdue) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING",
        project_id,
        day,
        at,
        overdue,
    )
    return status.endswith(" 1")


async def digests_sent(conn: asyncpg.Connection, due: set[tuple[uuid.UUID, date]]) -> set[tuple[uuid.UUID, date]]:
    """Which of these (project, local day) digests were sent already (by primary key, one statement)."""
    if not due:
        return set()
    projects, days = zip(*due, strict=True)
    rows = await conn.fetch(
        "SELECT d.project_id, d.day FROM digests d JOIN unnest($1::uuid[], $2::date[]) AS w(project_id, day)"
        " ON d.project_id = w.project_id AND d.day = w.day",
        list(projects),
        list(days),
    )
    return {(r["project_id"], r["day"]) for r in rows}
