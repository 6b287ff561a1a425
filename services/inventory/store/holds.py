"""Inventory SQL for taking a unit (R19): what a hold checks first, and the statements that take the unit with
its hold, history (R35) and, on the fast path, its event."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

import asyncpg

from shared.outbox import KEY_LOCK_SPACE, OutboxRow

# Issue 11: an opening of the unit's project is live at the time given (a hold then follows its rules).
_LIVE_OPENING_AT = (
    "SELECT 1 FROM openings o WHERE o.project_id = {project} AND o.status = 'drawn'"
    " AND o.starts_at <= {at} AND o.ends_at > {at}"
)
_LIVE_OPENING = _LIVE_OPENING_AT.format(project="u.project_id", at="$3::timestamptz")
_LIVE_OPENING_OF_UNIT = _LIVE_OPENING_AT.format(project="units.project_id", at="$5::timestamptz")

_HOLD_CONTEXT = (
    "SELECT u.project_id, u.status, u.building, u.number, u.list_price,"
    " (p.settings->>'hold_minutes')::int AS hold_minutes,"
    # NULL when the customer is not registered in the unit's project; else whether they are a key visitor (R5)
    " (SELECT c.key_visitor FROM customers c WHERE c.project_id = u.project_id AND c.customer_id = $2) AS key_visitor,"
    " (SELECT o.owner_id FROM customer_owners o WHERE o.customer_id = $2) AS owner_id,"
    f" EXISTS ({_LIVE_OPENING}) AS opening_live"
    " FROM units u JOIN projects p ON p.id = u.project_id WHERE u.id = $1"
)


async def hold_context(
    conn: asyncpg.Connection, unit_id: uuid.UUID, customer_id: uuid.UUID, now: datetime
) -> asyncpg.Record | None:
    """What a hold needs to know first, in one round trip: the unit, its project's hold minutes, the customer,
    and whether an opening of the project is live at `now` (issue 11)."""
    return await conn.fetchrow(_HOLD_CONTEXT, unit_id, customer_id, now)


# R19: one statement takes the unit only if it is available, and records the hold in the same breath.
_TAKE_UNIT = """
WITH taken AS (
    UPDATE units SET status = 'held', hold_id = $2 WHERE id = $1 AND status = 'available'
    RETURNING id, project_id, building, number, list_price
), hold AS (
    INSERT INTO holds (id, unit_id, project_id, customer_id, consultant_id, expires_at)
    SELECT $2, taken.id, taken.project_id, $3, $4, COALESCE($6::timestamptz, now()) + make_interval(mins => $5)
    FROM taken
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


# Issue 13: the hold and its event as one statement, so one round trip and no BEGIN/COMMIT of their own. The unit
# is taken only if it is still available at the price the event carries and no opening went live meanwhile;
# otherwise nothing is written and the caller takes the transactional path (which says why). The key lock of the
# outbox is taken after the unit's row (LATERAL on `taken`), in the order every other writer takes them.
_TAKE_WITH_EVENT = f"""
WITH taken AS (
    UPDATE units SET status = 'held', hold_id = $2
    WHERE id = $1 AND status = 'available' AND list_price = $7 AND NOT EXISTS ({_LIVE_OPENING_OF_UNIT})
    RETURNING id, project_id
), hold AS (
    INSERT INTO holds (id, unit_id, project_id, customer_id, consultant_id, created_at, expires_at)
    SELECT $2, taken.id, taken.project_id, $3, $4, $5, $6 FROM taken
), history AS (
    INSERT INTO unit_history (unit_id, project_id, from_status, to_status, reason, actor, ref)
    SELECT taken.id, taken.project_id, 'available', 'held', 'hold', $4, $2::text FROM taken
), event AS (
    INSERT INTO outbox (event_id, topic, key, payload)
    SELECT $8, $9, $10, $11 FROM taken
    CROSS JOIN LATERAL (SELECT pg_advisory_xact_lock(hashtextextended(taken.id::text, {KEY_LOCK_SPACE}))) AS key_lock
)
SELECT count(*) = 1 FROM taken
"""


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


async def take_unit_with_event(conn: asyncpg.Connection, hold: HoldRow, event: OutboxRow) -> bool:
    """True when the unit was taken, the hold and history written and the event recorded, all at once."""
    h = hold
    return bool(
        await conn.fetchval(
            _TAKE_WITH_EVENT,
            h.unit_id,
            h.hold_id,
            h.customer_id,
            h.consultant_id,
            h.starts_at,
            h.expires_at,
            h.list_price,
            event.envelope.id,
            event.topic,
            event.key,
            event.payload,
        )
    )
