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
