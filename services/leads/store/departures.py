"""Leads SQL for a consultant's departure from a project (v1.2): their book, the project's recently active
consultants, and the move of a batch of customers — owners, history (R9), timeline, call-backs and the events —
with one statement per table, whatever the batch's size."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from shared.db.rows import insert_row
from shared.messaging.outbox import KEY_LOCK_SPACE, OutboxRow

_BOOK = "SELECT id FROM customers WHERE project_id = $1 AND owner_id = $2 ORDER BY registered_at, id"

# Who registered a customer (its first owner), wrote a follow-up or took a hold in the project since $2, other than
# $3; a hold counts for someone who owns customers there (sales control holds too, and is no consultant); someone
# whose departure from the project came after their last activity there is nobody's heir.
_ACTIVE = """
WITH seen AS (
    SELECT COALESCE((SELECT o.from_owner FROM ownership_changes o WHERE o.customer_id = c.id ORDER BY o.at, o.id
                     LIMIT 1), c.owner_id) AS who, c.registered_at AS at
      FROM customers c WHERE c.project_id = $1 AND c.registered_at >= $2
    UNION ALL
    SELECT f.consultant_id, f.at FROM followups f JOIN customers c ON c.id = f.customer_id
     WHERE c.project_id = $1 AND f.at >= $2
    UNION ALL
    SELECT h.consultant_id, h.locked_at FROM holds h JOIN customers c ON c.id = h.customer_id
     WHERE c.project_id = $1 AND h.locked_at >= $2
       AND EXISTS (SELECT 1 FROM customers mine WHERE mine.project_id = $1 AND mine.owner_id = h.consultant_id)
), latest AS (SELECT who, max(at) AS at FROM seen WHERE who <> $3 GROUP BY who)
SELECT who FROM latest l
 WHERE NOT EXISTS (SELECT 1 FROM departures d WHERE d.project_id = $1 AND d.staff_id = l.who AND d.at >= l.at)
 ORDER BY who
"""

# The batch's customers still owned by the leaver change hands; the others (moved meanwhile) are left alone.
_MOVE = """
UPDATE customers c SET owner_id = m.heir, last_touch_at = $5, protected_until = $6
  FROM unnest($3::uuid[], $4::text[]) AS m(id, heir)
 WHERE c.id = m.id AND c.project_id = $1 AND c.owner_id = $2
RETURNING c.id, m.heir
"""
_HISTORY = """
INSERT INTO ownership_changes (customer_id, from_owner, to_owner, kind, reason_enc, decided_by, at)
SELECT m.id, $3, m.heir, $4, $5, $6, $7 FROM unnest($1::uuid[], $2::text[]) AS m(id, heir)
"""
_TIMELINE = """
INSERT INTO timeline (customer_id, at, kind, detail)
SELECT m.id, $5, 'owner_changed', jsonb_build_object('from', $3::text, 'to', m.heir, 'kind', $4::text,
       'decided_by', $6::text)
  FROM unnest($1::uuid[], $2::text[]) AS m(id, heir)
"""
_CALLBACKS = """
UPDATE callbacks cb SET consultant_id = m.heir FROM unnest($1::uuid[], $2::text[]) AS m(id, heir)
 WHERE cb.customer_id = m.id AND cb.status = 'scheduled' AND cb.consultant_id = $3
RETURNING cb.id, cb.customer_id, cb.consultant_id, cb.due_at
"""
# As `add_event`, for many rows at once: each row's key lock is taken before any row is inserted (the rows come
# sorted by key, so two such statements never wait on each other in a circle).
_EVENTS = f"""
INSERT INTO outbox (event_id, topic, key, payload)
SELECT e.event_id, e.topic, e.key, e.payload
  FROM unnest($1::uuid[], $2::text[], $3::text[], $4::bytea[]) WITH ORDINALITY AS e(event_id, topic, key, payload, n)
 CROSS JOIN LATERAL (SELECT pg_advisory_xact_lock(hashtextextended(e.key, {KEY_LOCK_SPACE}))) AS key_lock
 ORDER BY e.n
"""


async def book_of(conn: asyncpg.Connection, project_id: uuid.UUID, staff_id: str) -> list[uuid.UUID]:
    """Every customer `staff_id` owns in the project, in registration order."""
    return [row["id"] for row in await conn.fetch(_BOOK, project_id, staff_id)]


async def active_consultants(
    conn: asyncpg.Connection, project_id: uuid.UUID, since: datetime, leaver: str
) -> list[str]:
    """The project's consultants other than `leaver` seen there since `since`, by id."""
    return [row["who"] for row in await conn.fetch(_ACTIVE, project_id, since, leaver)]


async def move_customers(
    conn: asyncpg.Connection,
    where: tuple[uuid.UUID, str],
    moves: Sequence[tuple[uuid.UUID, str]],
    protection: tuple[datetime, datetime],
) -> list[tuple[uuid.UUID, str]]:
    """(customer, heir) for each customer of `moves` that the leaver (`where`: project, leaver) still owned and now
    the heir does, with a new protection period (`protection`: now, until, R10)."""
    ids, heirs = [m[0] for m in moves], [m[1] for m in moves]
    rows = await conn.fetch(_MOVE, *where, ids, heirs, *protection)
    return [(row["id"], row["heir"]) for row in rows]


async def record_moves(
    conn: asyncpg.Connection, moved: Sequence[tuple[uuid.UUID, str]], change: dict[str, Any]
) -> None:
    """R9: each move in the ownership history and on the customer's timeline; `change`: from_owner, kind,
    reason_enc, decided_by, at (one decision for the whole batch)."""
    ids, heirs = [m[0] for m in moved], [m[1] for m in moved]
    who, why, when = (change["from_owner"], change["kind"]), (change["reason_enc"], change["decided_by"]), change["at"]
    await conn.execute(_HISTORY, ids, heirs, *who, *why, when)
    await conn.execute(_TIMELINE, ids, heirs, *who, when, change["decided_by"])


async def move_callbacks(
    conn: asyncpg.Connection, moved: Sequence[tuple[uuid.UUID, str]], leaver: str
) -> list[asyncpg.Record]:
    """The leaver's scheduled call-backs of the moved customers, now the heirs'."""
    return await conn.fetch(_CALLBACKS, [m[0] for m in moved], [m[1] for m in moved], leaver)


async def add_events(conn: asyncpg.Connection, rows: Sequence[OutboxRow]) -> None:
    """Many events in the outbox in one statement, in key order, each behind its key's lock (as `add_event`)."""
    ordered = sorted(rows, key=lambda row: row.key)  # stable: one key's events keep their order
    columns = ([r.envelope.id for r in ordered], [r.topic for r in ordered], [r.key for r in ordered])
    await conn.execute(_EVENTS, *columns, [r.payload for r in ordered])


async def record_departure(conn: asyncpg.Connection, departure: dict[str, Any]) -> None:
    await insert_row(conn, "departures", departure)
