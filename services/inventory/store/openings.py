"""Inventory SQL for openings (issue 11, 开盘): the opening, its entrants and their queue numbers, and what the
hold path asks while an opening is live (the live opening, the entrant locked, the buyer's units)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.inventory.domain.openings import Schedule

_OPENING_COLUMNS = (
    "id, project_id, starts_at, window_minutes, batch_size, units_per_buyer, status, seed, ends_at, went_live_at,"
    " entry_closed_at, entrants_digest, lapsed_at,"
    " (SELECT count(*) FROM opening_entrants e WHERE e.opening_id = openings.id)::int AS entrants"
)
_INSERT_OPENING = (
    "INSERT INTO openings (id, project_id, starts_at, window_minutes, batch_size, units_per_buyer, created_by)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)"
)
_DRAWN_LOCK = 11_011  # advisory lock key space: one draw at a time per project (openings never overlap)


async def insert_opening(
    conn: asyncpg.Connection,
    opening_id: uuid.UUID,
    project_id: uuid.UUID,
    schedule: Schedule,
    units_per_buyer: int,
    actor: str,
) -> None:
    await conn.execute(
        _INSERT_OPENING,
        opening_id,
        project_id,
        schedule.starts_at,
        schedule.window_minutes,
        schedule.batch_size,
        units_per_buyer,
        actor,
    )


async def opening(conn: asyncpg.Connection, opening_id: uuid.UUID, lock: bool = False) -> asyncpg.Record | None:
    """The opening with its entrant count; `lock`: no entrant joins and no draw runs meanwhile."""
    if lock:
        await conn.execute("SELECT 1 FROM openings WHERE id = $1 FOR UPDATE", opening_id)
    return await conn.fetchrow(f"SELECT {_OPENING_COLUMNS} FROM openings WHERE id = $1", opening_id)


_KNOWN_CUSTOMERS = (
    "SELECT customer_id FROM customers WHERE project_id = $1 AND customer_id = ANY($2::uuid[]) AND NOT key_visitor"
)


async def known_customers(conn: asyncpg.Connection, project_id: uuid.UUID, ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of `ids` registered in the project as leads (key visitors are no leads, R5)."""
    return {r["customer_id"] for r in await conn.fetch(_KNOWN_CUSTOMERS, project_id, ids)}


_NEW_ENTRANTS = (
    "SELECT count(*) FROM unnest($2::uuid[]) AS c(id)"
    " WHERE NOT EXISTS (SELECT 1 FROM opening_entrants e WHERE e.opening_id = $1 AND e.customer_id = c.id)"
)


async def count_new_entrants(conn: asyncpg.Connection, opening_id: uuid.UUID, ids: list[uuid.UUID]) -> int:
    """How many of `ids` (distinct) are not entrants yet."""
    return int(await conn.fetchval(_NEW_ENTRANTS, opening_id, ids))


_ADD_ENTRANTS = (
    "INSERT INTO opening_entrants (opening_id, customer_id, added_by)"
    " SELECT $1, c, $3 FROM unnest($2::uuid[]) AS c ON CONFLICT DO NOTHING"
)


async def add_entrants(conn: asyncpg.Connection, opening_id: uuid.UUID, ids: list[uuid.UUID], actor: str) -> int:
    """Add the entrants not there yet; returns how many were new."""
    status = await conn.execute(_ADD_ENTRANTS, opening_id, ids, actor)
    return int(status.split()[-1])


async def entrant_ids(conn: asyncpg.Connection, opening_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await conn.fetch("SELECT customer_id FROM opening_entrants WHERE opening_id = $1", opening_id)
    return [r["customer_id"] for r in rows]


async def lock_project_draws(conn: asyncpg.Connection, project_id: uuid.UUID) -> None:
    """One draw at a time in a project, so two overlapping openings cannot both be drawn."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1::text, $2))", str(project_id), _DRAWN_LOCK)


# Issue 25: an opening whose entry closed undrawn holds its span too, until its start passes without a draw.
_OVERLAPPING = (
    "SELECT id FROM openings WHERE project_id = $1 AND ends_at IS NOT NULL AND id <> $2"
    " AND (status = 'drawn' OR starts_at > now()) AND starts_at < $4 AND ends_at > $3 LIMIT 1"
)


async def overlapping_drawn(
    conn: asyncpg.Connection, project_id: uuid.UUID, opening_id: uuid.UUID, starts_at: datetime, ends_at: datetime
) -> uuid.UUID | None:
    """A drawn opening of the project, or one whose entry closed and that may still be drawn, whose span meets
    [starts_at, ends_at), if any."""
    return await conn.fetchval(_OVERLAPPING, project_id, opening_id, starts_at, ends_at)


_CLOSE_ENTRY = (
    "UPDATE openings SET entry_closed_at = $2, entry_closed_by = $3, entrants_digest = $4, ends_at = $5 WHERE id = $1"
)


async def close_entry(
    conn: asyncpg.Connection, opening_id: uuid.UUID, at: datetime, actor: str, digest: str, ends_at: datetime
) -> None:
    """Issue 25: the entrant list fixed and published by its digest; the end of the last window it makes."""
    await conn.execute(_CLOSE_ENTRY, opening_id, at, actor, digest, ends_at)


# A draw closes entry too when it was still open (v1.1: the draw was the close of entry).
_SAVE_DRAW = (
    "UPDATE openings SET status = 'drawn', seed = $2, ends_at = $3, drawn_by = $4, drawn_at = now(),"
    " entry_closed_at = coalesce(entry_closed_at, now()), entry_closed_by = coalesce(entry_closed_by, $4),"
    " entrants_digest = coalesce(entrants_digest, $5) WHERE id = $1"
)
_QUEUE = (
    "UPDATE opening_entrants e SET queue_no = q.no FROM unnest($2::uuid[]) WITH ORDINALITY AS q(id, no)"
    " WHERE e.opening_id = $1 AND e.customer_id = q.id"
)


async def save_draw(
    conn: asyncpg.Connection,
    opening_id: uuid.UUID,
    seed: str,
    ends_at: datetime,
    actor: str,
    order: list[uuid.UUID],
    digest: str,
) -> None:
    """The published seed, the end of the last window, and queue numbers 1..n in `order` (and the entrant digest,
    unless entry was closed before)."""
    await conn.execute(_SAVE_DRAW, opening_id, seed, ends_at, actor, digest)
    await conn.execute(_QUEUE, opening_id, order)


async def queue(conn: asyncpg.Connection, opening_id: uuid.UUID) -> list[asyncpg.Record]:
    """(queue_no, customer_id) by queue number (empty before the draw)."""
    return await conn.fetch(
        "SELECT queue_no, customer_id FROM opening_entrants WHERE opening_id = $1 AND queue_no IS NOT NULL"
        " ORDER BY queue_no",
        opening_id,
    )


_UNIT_COUNTS = (
    "SELECT count(*) FILTER (WHERE status = 'held')::int AS held,"
    " count(*) FILTER (WHERE status IN ('reserved', 'subscribed', 'contracted', 'handed_over'))::int AS sold"
    " FROM units WHERE project_id = $1"
)


async def unit_counts(conn: asyncpg.Connection, project_id: uuid.UUID) -> asyncpg.Record:
    """The project's units held now, and sold (reserved or later)."""
    return await conn.fetchrow(_UNIT_COUNTS, project_id)


# Issue 11: the hold path's one extra query where no opening governs (an index scan of the project's openings with an
# end). An opening `o` whose rules a hold of unit `{unit}` at the time `{at}` follows: from the close of its entry
# (issue 25; the draw for an opening that never closed it by itself, issue 19) to the end of its last window — an
# undrawn one only until its start, when it lapses — unless sales control kept the unit out of it. Written once,
# for this and the hold statements.
GOVERNS = (
    "o.ends_at > {at} AND (o.status = 'drawn' OR o.starts_at > {at})"
    " AND NOT EXISTS (SELECT 1 FROM opening_kept_out k WHERE k.opening_id = o.id AND k.unit_id = {unit})"
)
_GOVERNING_OPENING = (
    "SELECT o.id, o.starts_at, o.window_minutes, o.batch_size, o.units_per_buyer, t.at AS now"
    " FROM (SELECT COALESCE($3::timestamptz, now()) AS at) t JOIN openings o ON o.project_id = $1 AND "
    + GOVERNS.format(at="t.at", unit="$2")
    + " ORDER BY o.starts_at LIMIT 1"
)


async def governing_opening(
    conn: asyncpg.Connection, project_id: uuid.UUID, unit_id: uuid.UUID, now: datetime | None
) -> asyncpg.Record | None:
    """The project's opening whose rules a hold of the unit at `now` (None: the database's clock) follows, with
    that time as `now`."""
    return await conn.fetchrow(_GOVERNING_OPENING, project_id, unit_id, now)


async def lock_entrant(conn: asyncpg.Connection, opening_id: uuid.UUID, customer_id: uuid.UUID) -> int | None:
    """The entrant's queue number, its row locked to the end of the transaction (None: not an entrant).
    Holds of one buyer in one opening take turns here, so the buyer limit is counted by one at a time."""
    return await conn.fetchval(
        "SELECT queue_no FROM opening_entrants WHERE opening_id = $1 AND customer_id = $2 FOR UPDATE",
        opening_id,
        customer_id,
    )


_UNITS_OF_BUYER = (
    "SELECT (SELECT count(*) FROM holds WHERE project_id = $1 AND customer_id = $2 AND state = 'live'"
    " AND expires_at > $3)"
    " + (SELECT count(*) FROM sales WHERE project_id = $1 AND customer_id = $2 AND closed_at IS NULL)"
)


async def units_of_buyer(conn: asyncpg.Connection, project_id: uuid.UUID, customer_id: uuid.UUID, now: datetime) -> int:
    """The project's units the customer holds at `now` (live, unexpired holds) or bought (open sales: reserved
    to handed over)."""
    return int(await conn.fetchval(_UNITS_OF_BUYER, project_id, customer_id, now))


_ON_THE_BOARD = (
    "SELECT id, starts_at, window_minutes, batch_size, (SELECT count(*) FROM opening_entrants e"
    " WHERE e.opening_id = o.id) AS entrants FROM openings o WHERE project_id = $1 AND status = 'drawn'"
    " AND ends_at > now() ORDER BY starts_at LIMIT 1"
)


async def opening_on_the_board(conn: asyncpg.Connection, project_id: uuid.UUID) -> asyncpg.Record | None:
    """The project's drawn opening that is live or still to come (the board shows its current batch)."""
    return await conn.fetchrow(_ON_THE_BOARD, project_id)
