"""Leads SQL for the weekly review (R2, R13, R17): each table read for the week only, by its time index, and the
needs customers ask for (R11) kept as counts when a profile changes (`needs_asked`, migration 012)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime

import asyncpg

# (consultant, metric, count) for one project and one [start, end) window; lost customers per reason. Every part
# starts from the week's rows of one table (by its time index; follow-ups by their project's, migration 016) and
# looks the customer up by primary key where the table has no project of its own.
_WEEK = """
SELECT owner_id AS consultant, 'new_customers' AS metric, count(*) AS n FROM customers
 WHERE project_id = $1 AND visitor_type = 'customer' AND registered_at >= $2 AND registered_at < $3 GROUP BY 1
UNION ALL SELECT consultant_id, 'followups', count(*) FROM followups WHERE project_id = $1 AND at >= $2 AND at < $3
 GROUP BY 1
UNION ALL SELECT consultant_id, 'calls', count(*) FROM calls WHERE project_id = $1 AND rang_at >= $2 AND rang_at < $3
 GROUP BY 1
UNION ALL SELECT consultant_id, 'calls_within_3_rings', count(*) FROM calls WHERE project_id = $1
 AND rang_at >= $2 AND rang_at < $3 AND answered_at IS NOT NULL AND rings <= 3 GROUP BY 1
UNION ALL SELECT h.consultant_id, 'holds', count(*) FROM holds h JOIN customers c ON c.id = h.customer_id
 WHERE c.project_id = $1 AND h.locked_at >= $2 AND h.locked_at < $3 GROUP BY 1
UNION ALL SELECT CASE WHEN t.kind = 'subscription_signed' THEN coalesce(t.detail->>'credited_to', c.owner_id)
 ELSE c.owner_id END, CASE t.kind WHEN 'deposit_verified' THEN 'deposits' WHEN 'subscription_signed'
 THEN 'subscriptions' ELSE 'contracts' END, count(*) FROM timeline t JOIN customers c ON c.id = t.customer_id
 WHERE c.project_id = $1 AND t.kind IN ('deposit_verified', 'subscription_signed', 'contract_signed')
 AND t.at >= $2 AND t.at < $3 GROUP BY 1, 2
UNION ALL SELECT owner_id, 'lost:' || close_reason, count(*) FROM customers
 WHERE project_id = $1 AND closed_at >= $2 AND closed_at < $3 GROUP BY owner_id, close_reason
"""


async def week_figures(
    conn: asyncpg.Connection, project_id: uuid.UUID, start: datetime, end: datetime
) -> list[asyncpg.Record]:
    """Counts per consultant and metric in [start, end)."""
    return await conn.fetch(_WEEK, project_id, start, end)


# A customer's needs count in the quarter hour they registered in: any time zone's week is whole quarters.
_COUNT_NEEDS = """
INSERT INTO needs_asked (project_id, registered_in, need, customers)
SELECT $1, date_bin('15 minutes', $2::timestamptz, timestamptz '2000-01-01 00:00+00'), need, n
  FROM unnest($3::text[], $4::int[]) AS c(need, n)
ON CONFLICT (project_id, registered_in, need) DO UPDATE SET customers = needs_asked.customers + EXCLUDED.customers
"""


async def count_needs(
    conn: asyncpg.Connection, project_id: uuid.UUID, registered_at: datetime, change: Mapping[str, int]
) -> None:
    """Add (or, negative, take away) one customer's needs in the counts of their registration time."""
    moved = {need: n for need, n in change.items() if n}
    if moved:
        await conn.execute(_COUNT_NEEDS, project_id, registered_at, list(moved), list(moved.values()))


async def needs_between(
    conn: asyncpg.Connection, project_id: uuid.UUID, start: datetime, end: datetime, top: int
) -> list[tuple[str, int]]:
    """The `top` needs asked by the customers registered in [start, end), most asked first."""
    rows = await conn.fetch(
        "SELECT need, sum(customers)::int AS n FROM needs_asked WHERE project_id = $1 AND registered_in >= $2"
        " AND registered_in < $3 GROUP BY need HAVING sum(customers) > 0"
        " ORDER BY n DESC, array_position(ARRAY['purpose', 'layout', 'district'], split_part(need, ':', 1)), need"
        " LIMIT $4",
        project_id,
        start,
        end,
        top,
    )
    return [(r["need"], r["n"]) for r in rows]


async def needs_to_count(conn: asyncpg.Connection, project_id: uuid.UUID | None, limit: int) -> list[asyncpg.Record]:
    """Customers whose needs are not counted under their registration time (rows from before migration 012, or
    moved by hand), of one project or all; locked for the counting."""
    return await conn.fetch(
        "SELECT id, project_id, registered_at, needs_counted_at, profile, profile_enc FROM customers"
        " WHERE needs_to_count AND ($1::uuid IS NULL OR project_id = $1)"
        " LIMIT $2 FOR UPDATE SKIP LOCKED",
        project_id,
        limit,
    )


async def mark_needs_counted(conn: asyncpg.Connection, customer_id: uuid.UUID, at: datetime) -> None:
    await conn.execute("UPDATE customers SET needs_counted_at = $2 WHERE id = $1", customer_id, at)
