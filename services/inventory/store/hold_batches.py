"""Issue 13, a hold's statements for one attempt or a group of them (`use_cases.HoldDesk` groups them through
shared.batching): what an attempt reads first, for one by key or for many in one statement, and the statement
that takes the units of those that may win with their holds, history and events in one commit (group commit); a
single attempt's take is a group of one."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

import asyncpg

from services.inventory.store.holds import HoldRow
from services.inventory.store.openings import GOVERNS
from shared.messaging.outbox import KEY_LOCK_SPACE, OutboxRow

# Issue 11: an opening of the unit's project governs a hold of it at the time given (the hold follows its rules).
_GOVERNED = "SELECT 1 FROM openings o WHERE o.project_id = u.project_id AND " + GOVERNS.format(unit="u.id", at="{at}")

# What an attempt needs to know first, written once for one attempt (a primary-key read) and for many (each answer
# found by its ask's `n`); {customer} and {at} are where the ask's customer and time come from.
_CONTEXT_COLUMNS = (
    "u.project_id, u.status, u.building, u.number, u.list_price, u.area_m2,"
    " (p.settings->>'hold_minutes')::int AS hold_minutes,"
    # NULL when the customer is not registered in the unit's project; else whether they are a key visitor (R5)
    " (SELECT c.key_visitor FROM customers c WHERE c.project_id = u.project_id AND c.customer_id = {customer})"
    " AS key_visitor,"
    " (SELECT o.owner_id FROM customer_owners o WHERE o.customer_id = {customer}) AS owner_id,"
    f" EXISTS ({_GOVERNED}) AS opening_live"
)
_HOLD_CONTEXT = (
    f"SELECT {_CONTEXT_COLUMNS.format(customer='$2', at='$3::timestamptz')}"
    " FROM units u JOIN projects p ON p.id = u.project_id WHERE u.id = $1"
)
_HOLD_CONTEXTS = (
    f"SELECT a.n, {_CONTEXT_COLUMNS.format(customer='a.customer_id', at='a.at')}"
    " FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) WITH ORDINALITY AS a(unit_id, customer_id, at, n)"
    " JOIN units u ON u.id = a.unit_id JOIN projects p ON p.id = u.project_id"
)

Asked = tuple[uuid.UUID, uuid.UUID, datetime]  # (unit, customer, when)


async def hold_context(
    conn: asyncpg.Connection, unit_id: uuid.UUID, customer_id: uuid.UUID, now: datetime
) -> asyncpg.Record | None:
    """What a hold needs to know first, in one round trip: the unit, its project's hold minutes, the customer, and
    whether an opening of the project is live at `now` (issue 11). A plain read by key: a group of one through
    `unnest` cost PostgreSQL twice as much per attempt."""
    return await conn.fetchrow(_HOLD_CONTEXT, unit_id, customer_id, now)


async def hold_contexts(conn: asyncpg.Connection, asks: Sequence[Asked]) -> list[asyncpg.Record | None]:
    """`hold_context` of each ask, in one round trip (None where the unit does not exist)."""
    units, customers, times = zip(*asks, strict=True) if asks else ((), (), ())
    found = {row["n"]: row for row in await conn.fetch(_HOLD_CONTEXTS, list(units), list(customers), list(times))}
    return [found.get(n) for n in range(1, len(asks) + 1)]


# Group commit: one statement takes the units of many attempts, one attempt per unit (the first asked). The units
# are locked in id order before anything is written, so two such statements never wait on each other in a circle;
# each outbox key lock follows its unit's row, as in the one-attempt statement. A unit is taken only while it is
# available at the price its event carries and no opening of its project governs it at the attempt's time.
_TAKE_MANY = f"""
WITH asked AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[], $6::timestamptz[],
                         $7::numeric[], $8::uuid[], $9::text[], $10::text[], $11::bytea[])
        WITH ORDINALITY AS a(unit_id, hold_id, customer_id, consultant_id, starts_at, expires_at, list_price,
                             event_id, topic, key, payload, n)
), first AS (
    SELECT DISTINCT ON (unit_id) * FROM asked ORDER BY unit_id, n
), free AS (
    SELECT u.id, u.project_id FROM units u JOIN first f ON f.unit_id = u.id
    WHERE u.status = 'available' AND u.list_price = f.list_price
      AND NOT EXISTS ({_GOVERNED.format(at="f.starts_at")})
    ORDER BY u.id FOR UPDATE OF u
), taken AS (
    UPDATE units SET status = 'held', hold_id = f.hold_id FROM free, first f
    WHERE units.id = free.id AND f.unit_id = free.id AND units.status = 'available'
    RETURNING units.id, units.project_id, f.hold_id
), hold AS (
    INSERT INTO holds (id, unit_id, project_id, customer_id, consultant_id, created_at, expires_at)
    SELECT f.hold_id, t.id, t.project_id, f.customer_id, f.consultant_id, f.starts_at, f.expires_at
    FROM taken t JOIN first f ON f.hold_id = t.hold_id
), history AS (
    INSERT INTO unit_history (unit_id, project_id, from_status, to_status, reason, actor, ref)
    SELECT t.id, t.project_id, 'available', 'held', 'hold', f.consultant_id, f.hold_id::text
    FROM taken t JOIN first f ON f.hold_id = t.hold_id
), event AS (
    INSERT INTO outbox (event_id, topic, key, payload)
    SELECT f.event_id, f.topic, f.key, f.payload FROM (SELECT * FROM taken ORDER BY id) t
    JOIN first f ON f.hold_id = t.hold_id
    CROSS JOIN LATERAL (SELECT pg_advisory_xact_lock(hashtextextended(t.id::text, {KEY_LOCK_SPACE}))) AS key_lock
)
SELECT hold_id, id AS unit_id FROM taken
"""

Take = tuple[HoldRow, OutboxRow]
Outcome = Literal["won", "lost", "undecided"]  # lost: another attempt of the same group took the unit


async def take_units_with_events(conn: asyncpg.Connection, takes: Sequence[Take]) -> list[Outcome]:
    """For each (hold, event): won (its unit taken with its hold, history and event, all in one commit), lost (an
    earlier attempt of the group took its unit) or undecided (the unit was not to be taken by this statement)."""
    columns = list(zip(*((*_hold_columns(h), e.envelope.id, e.topic, e.key, e.payload) for h, e in takes), strict=True))
    rows = await conn.fetch(_TAKE_MANY, *(list(c) for c in columns))
    won, taken = {r["hold_id"] for r in rows}, {r["unit_id"] for r in rows}
    return [_outcome(hold, won, taken) for hold, _ in takes]


async def take_unit_with_event(conn: asyncpg.Connection, hold: HoldRow, event: OutboxRow) -> bool:
    """One attempt's take, a group of one: True when its unit was taken with its hold, history and event in one
    statement (no BEGIN/COMMIT of its own); False when the unit was not to be taken (the caller decides why)."""
    return (await take_units_with_events(conn, [(hold, event)]))[0] == "won"


def _outcome(hold: HoldRow, won: set[uuid.UUID], taken: set[uuid.UUID]) -> Outcome:
    if hold.hold_id in won:
        return "won"
    return "lost" if hold.unit_id in taken else "undecided"


def _hold_columns(h: HoldRow) -> tuple:
    return h.unit_id, h.hold_id, h.customer_id, h.consultant_id, h.starts_at, h.expires_at, h.list_price


async def prepare_hold_statements(conn: asyncpg.Connection) -> None:
    """Each new pooled connection prepares the group statements (with no asks they read and write nothing), so
    opening day's first attempts do not wait for PostgreSQL to plan them."""
    await hold_contexts(conn, [])
    await conn.fetch(_TAKE_MANY, *([[]] * 11))
