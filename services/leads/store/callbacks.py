"""Leads SQL for call-backs (R7): planned with a sealed purpose, listed by due time, done once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from shared.db.rows import insert_row

_PAGE = (  # {consultant}: by `callbacks_consultant_due` (one consultant's) or `callbacks_due` (the project's)
    "SELECT * FROM callbacks WHERE project_id = $1 AND status = 'scheduled'"
    " AND {consultant} AND due_at >= $3 AND due_at < $4 AND (due_at, id) > ($5, $6::uuid)"
    " ORDER BY due_at, id LIMIT $7"
)
_FIRST = (datetime.fromisoformat("0001-01-01T00:00:00+00:00"), uuid.UUID(int=0))


async def plan_callback(conn: asyncpg.Connection, callback: dict[str, Any]) -> None:
    await insert_row(conn, "callbacks", callback)


async def callback(conn: asyncpg.Connection, callback_id: uuid.UUID, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM callbacks WHERE id = $1" + (" FOR UPDATE" if lock else ""), callback_id)


async def mark_callback_done(
    conn: asyncpg.Connection, callback_id: uuid.UUID, followup_id: uuid.UUID, at: datetime
) -> None:
    await conn.execute(
        "UPDATE callbacks SET status = 'done', followup_id = $2, done_at = $3 WHERE id = $1",
        callback_id,
        followup_id,
        at,
    )


async def callbacks_page(
    conn: asyncpg.Connection,
    project_id: uuid.UUID,
    consultant: str | None,
    between: tuple[datetime, datetime],
    window: tuple[Any, int],
) -> list[asyncpg.Record]:
    """Scheduled call-backs due in [from, to), by due time; one consultant's when named."""
    after, limit = window
    sql = _PAGE.format(consultant="consultant_id = $2" if consultant is not None else "$2::text IS NULL")
    return await conn.fetch(sql, project_id, consultant, *between, *(after or _FIRST), limit)
