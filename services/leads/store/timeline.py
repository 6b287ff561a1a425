"""Leads SQL for a customer's timeline: leads' own steps and every service's events about the customer."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

_ADD_TIMELINE = (
    "INSERT INTO timeline (customer_id, at, kind, detail, event_id) VALUES ($1,$2,$3,$4::jsonb,$5)"
    " ON CONFLICT (event_id) DO NOTHING"
)


async def add_timeline(
    conn: asyncpg.Connection,
    customer_id: uuid.UUID,
    at: datetime,
    kind: str,
    detail: dict[str, Any],
    event_id: uuid.UUID | None = None,
) -> None:
    await conn.execute(_ADD_TIMELINE, customer_id, at, kind, detail, event_id)


async def timeline(conn: asyncpg.Connection, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT at, kind, detail FROM timeline WHERE customer_id = $1 ORDER BY at, id", customer_id)
    return [{"at": r["at"].isoformat(), "kind": r["kind"], "detail": r["detail"]} for r in rows]


async def customer_of_handoff(conn: asyncpg.Connection, handoff_id: str) -> uuid.UUID | None:
    """The customer whose handover produced this hand-off (its id is on their timeline)."""
    return await conn.fetchval(
        "SELECT customer_id FROM timeline WHERE kind = 'handed_over' AND detail->>'handoff_id' = $1 LIMIT 1", handoff_id
    )
