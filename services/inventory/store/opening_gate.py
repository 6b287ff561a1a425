"""Inventory SQL for the moment an opening goes live (issue 19): the opening due, the holds of its project then, and
the units sales control kept out of it."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from shared.db.rows import earliest

# One opening at a time, locked: a second inventory process skips it (and the flag, set in the same transaction as
# the releases, keeps any later pass away from it).
_DUE = (
    "SELECT id, project_id, starts_at, window_minutes, batch_size FROM openings"
    " WHERE status = 'drawn' AND went_live_at IS NULL AND starts_at <= $1"
    " ORDER BY starts_at LIMIT 1 FOR UPDATE SKIP LOCKED"
)


_TO_SETTLE = (
    "(status = 'drawn' AND went_live_at IS NULL)"
    " OR (status = 'registering' AND entry_closed_at IS NOT NULL AND lapsed_at IS NULL)"
)


async def next_opening_start(conn: asyncpg.Connection) -> datetime | None:
    """When the next drawn opening starts, or the next whose entry closed undrawn (the gate sleeps until then)."""
    return await earliest(conn, "openings", "starts_at", _TO_SETTLE)


# Issue 25: an opening whose entry closed and whose start came before its last reveal is never drawn; recorded once.
_LAPSE = (
    "UPDATE openings SET lapsed_at = $1 WHERE status = 'registering' AND entry_closed_at IS NOT NULL"
    " AND lapsed_at IS NULL AND starts_at <= $1 RETURNING id, project_id"
)


async def lapse_undrawn(conn: asyncpg.Connection, at: datetime) -> list[asyncpg.Record]:
    """Mark lapsed the openings whose entry closed and which started undrawn by `at`; those marked now."""
    return await conn.fetch(_LAPSE, at)


_UNREVEALED = (
    'SELECT party FROM opening_commitments WHERE opening_id = $1 AND secret IS NULL ORDER BY party COLLATE "C"'
)


async def unrevealed_parties(conn: asyncpg.Connection, opening_id: uuid.UUID) -> list[str]:
    """The parties of an opening that never revealed their secret."""
    return [r["party"] for r in await conn.fetch(_UNREVEALED, opening_id)]


async def opening_due_live(conn: asyncpg.Connection, at: datetime) -> asyncpg.Record | None:
    """A drawn opening started by `at` whose going live is not settled yet, locked (None: none, or all taken)."""
    return await conn.fetchrow(_DUE, at)


# Every unexpired live hold of the project on a unit still `held` (a reserved unit's hold is converted: a sale under
# way), with the holder's queue number in the opening (NULL: no entrant) and whether the unit is kept out of it.
_HOLDS = """
SELECT h.id, h.unit_id, h.project_id, h.created_at, e.queue_no, k.unit_id IS NOT NULL AS kept_out
FROM holds h
JOIN units u ON u.id = h.unit_id AND u.hold_id = h.id AND u.status = 'held'
LEFT JOIN opening_entrants e ON e.opening_id = $2 AND e.customer_id = h.customer_id
LEFT JOIN opening_kept_out k ON k.opening_id = $2 AND k.unit_id = h.unit_id
WHERE h.project_id = $1 AND h.state = 'live' AND h.expires_at > $3
ORDER BY h.unit_id
FOR UPDATE OF h, u
"""


async def holds_at_start(conn: asyncpg.Connection, opening: asyncpg.Record, at: datetime) -> list[asyncpg.Record]:
    """The project's holds when the opening goes live, locked (expiry and deposits wait for the decision)."""
    return await conn.fetch(_HOLDS, opening["project_id"], opening["id"], at)


async def mark_went_live(conn: asyncpg.Connection, opening_id: uuid.UUID, at: datetime) -> None:
    await conn.execute("UPDATE openings SET went_live_at = $2 WHERE id = $1", opening_id, at)


_KEEP_OUT = (
    "INSERT INTO opening_kept_out (opening_id, unit_id, reason, kept_by, kept_at) VALUES ($1, $2, $3, $4, $5)"
    " ON CONFLICT DO NOTHING RETURNING opening_id, unit_id, reason, kept_by, kept_at"
)


async def keep_out(
    conn: asyncpg.Connection, opening_id: uuid.UUID, unit_id: uuid.UUID, reason: str, actor: str, at: datetime
) -> asyncpg.Record | None:
    """Record the unit as kept out of the opening; None when it is already."""
    return await conn.fetchrow(_KEEP_OUT, opening_id, unit_id, reason, actor, at)


async def is_kept_out(conn: asyncpg.Connection, opening_id: uuid.UUID, unit_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM opening_kept_out WHERE opening_id = $1 AND unit_id = $2)", opening_id, unit_id
        )
    )


_KEPT_OUT = (
    "SELECT k.unit_id, u.building, u.number, k.reason, k.kept_by, k.kept_at FROM opening_kept_out k"
    " JOIN units u ON u.id = k.unit_id WHERE k.opening_id = $1 ORDER BY u.building, u.number"
)


async def kept_out(conn: asyncpg.Connection, opening_id: uuid.UUID) -> list[asyncpg.Record]:
    """The units kept out of the opening, in board order, with who kept each out, when and why."""
    return await conn.fetch(_KEPT_OUT, opening_id)
