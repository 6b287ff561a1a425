"""Inventory SQL for taking a unit (R19) inside a transaction: the unit with its hold and history (R35). What a
hold reads first and the statements that also write the event are `hold_batches`'s."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

import asyncpg

# R19: one statement takes the unit only if it is available, and records the hold in the same breath.
_TAKE_UNIT = """
WITH taken AS (
    UPDATE units SET status = 'held', hold_id = $2 WHERE id = $1 AND status = 'available'
    RETURNING id, project_id, building, number, list_price, area_m2
), hold AS (
    INSERT INTO holds (id, unit_id, project_id, customer_id, consultant_id, created_at, expires_at)
    SELECT $2, taken.id, taken.project_id, $3, $4, t.at, t.at + make_interval(mins => $5)
    FROM taken, (SELECT COALESCE($6::timestamptz, now()) AS at) t
    RETURNING expires_at
), history AS (
    INSERT INTO unit_history (unit_id, project_id, from_status, to_status, reason, actor, ref)
    SELECT taken.id, taken.project_id, 'available', 'held', 'hold', $4, $2::text FROM taken
)
SELECT taken.*, hold.expires_at FROM taken, hold
"""


async def take_unit(
    conn: asyncpg.Connection,
    unit_id: uuid.UUID,
    hold_id: uuid.UUID,
    customer_id: uuid.UUID,
    consultant_id: str,
    minutes: int,
    now: datetime | None = None,
) -> asyncpg.Record | None:
    """None when someone else has it. The hold runs `minutes` from `now` (None: the database's clock)."""
    return await conn.fetchrow(_TAKE_UNIT, unit_id, hold_id, customer_id, consultant_id, minutes, now)


class HoldRow(NamedTuple):
    """A hold to write: its unit, customer, consultant, when it starts and ends, and the unit's price it was
    offered at."""

    hold_id: uuid.UUID
    unit_id: uuid.UUID
    customer_id: uuid.UUID
    consultant_id: str
    starts_at: datetime
    expires_at: datetime
    list_price: Decimal
