"""Inventory SQL of the live board (issue 11): unit changes numbered in commit order, read back after a number."""

from __future__ import annotations

import uuid

import asyncpg

_SEQUENCER_LOCK = 7_411_001  # one sequencer at a time, across every inventory process

# Rows without a number are committed ones (others are invisible here): numbering them now, under the lock,
# gives every row a number larger than any a viewer has already seen.
_SEQUENCE = """
WITH todo AS (
    SELECT id, row_number() OVER (ORDER BY id) AS n FROM unit_history WHERE board_seq IS NULL ORDER BY id LIMIT 5000
), base AS (SELECT coalesce(max(board_seq), 0) AS top FROM unit_history)
UPDATE unit_history h SET board_seq = base.top + todo.n FROM todo, base WHERE h.id = todo.id
RETURNING h.board_seq
"""


async def sequence_changes(conn: asyncpg.Connection) -> int:
    """Number the changes committed since the last call; the highest number assigned (0: none)."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _SEQUENCER_LOCK)
        rows = await conn.fetch(_SEQUENCE)
        top = max((r["board_seq"] for r in rows), default=0)
        if top:
            await conn.execute("SELECT pg_notify('board_sequenced', $1)", str(top))
    return top


async def board_head(conn: asyncpg.Connection) -> int:
    """The highest board number so far (a viewer that starts now resumes after it)."""
    return await conn.fetchval("SELECT coalesce(max(board_seq), 0) FROM unit_history")


# A status change, or a price change (issue 24: its row carries the new price; a status row shows the price now).
_CHANGES = (
    "SELECT h.board_seq, h.project_id, h.unit_id, h.to_status, h.at, u.building, u.number,"
    " coalesce(h.list_price, u.list_price) AS list_price FROM unit_history h JOIN units u ON u.id = h.unit_id"
    " WHERE h.board_seq > $1 AND ($2::uuid IS NULL OR h.project_id = $2)"
    " AND (h.from_status IS DISTINCT FROM h.to_status OR h.list_price IS NOT NULL) ORDER BY h.board_seq LIMIT $3"
)


async def changes_after(
    conn: asyncpg.Connection, after: int, project_id: uuid.UUID | None = None, limit: int = 1000
) -> list[asyncpg.Record]:
    """Status and price changes numbered after `after`, in number order; one project's when named."""
    return await conn.fetch(_CHANGES, after, project_id, limit)


# What the hall may see of a unit (no customer, no hold, no price floor), rendered by the database as the answer
# shows it (ids and amounts as text): the board is every unit of the project, so each one must cost little.
_CELLS = (
    "SELECT building, floor, id::text AS id, number, layout, status, area_m2::text AS area_m2,"
    " list_price::text AS list_price FROM units WHERE project_id = $1 ORDER BY building, floor, number"
)
CELL = ("id", "number", "layout", "status", "area_m2", "list_price")


async def board_cells(conn: asyncpg.Connection, project_id: uuid.UUID) -> list[asyncpg.Record]:
    """Every unit of the project in board order (building, floor, number), as the board shows it (`CELL`)."""
    return await conn.fetch(_CELLS, project_id)
