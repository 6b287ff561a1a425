"""Leads SQL for the call log (R1-R3): calls as logged, a day's figures, and notes stored in plain before sealing."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from shared.db.rows import insert_row


async def insert_call(conn: asyncpg.Connection, row: dict[str, Any]) -> None:
    await insert_row(conn, "calls", row)


_CALL_STATS = (
    "SELECT consultant_id, count(*) AS calls, count(answered_at) AS answered,"
    " count(*) FILTER (WHERE answered_at IS NOT NULL AND rings <= $4) AS within_target,"
    " avg(extract(epoch FROM answered_at - rang_at)) AS avg_answer_seconds,"
    " max(extract(epoch FROM answered_at - rang_at)) AS max_answer_seconds"
    " FROM calls WHERE project_id = $1"  # the local day's bounds in UTC, so `calls_project_day` finds the day
    " AND rang_at >= $3::date::timestamp AT TIME ZONE $2 AND rang_at < ($3::date + 1)::timestamp AT TIME ZONE $2"
    " GROUP BY consultant_id ORDER BY consultant_id"
)


async def call_stats(
    conn: asyncpg.Connection, project_id: uuid.UUID, day: date, tz: str, ring_target: int
) -> list[asyncpg.Record]:
    """Per consultant for one local day: calls, answered, within the ring target, ring-to-answer seconds."""
    return await conn.fetch(_CALL_STATS, project_id, tz, day, ring_target)
