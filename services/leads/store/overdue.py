"""Leads SQL for what the manager chases (R13): customers whose follow-up is due (the stored `followup_due_at`,
migration 012) and call-backs past their time, read by index in (due time, id) order: a page; the counts per
consultant of the morning digest (once a day, the overdue rows by index only); and the weekly review's counts
from `chased`, the count the writes keep, less the customers not yet due."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

FIRST = (datetime.fromisoformat("0001-01-01T00:00:00+00:00"), uuid.UUID(int=0))  # before every (due time, id)

# Not chased (R13): lost customers, key visitors (R5), buyers whose deal passed to after-sales (R31).
_CHASED = (
    "c.project_id = $1 AND c.closed_at IS NULL AND c.visitor_type = 'customer' AND c.followup_due_at < $2"
    " AND NOT EXISTS (SELECT 1 FROM sales s WHERE s.customer_id = c.id AND s.aftersales_since IS NOT NULL)"
)
_DUE_CUSTOMERS = (
    "SELECT 'followup' AS kind, c.id, c.id AS customer_id, c.owner_id AS consultant_id, c.followup_due_at AS due_at"
    f" FROM customers c WHERE {_CHASED} AND (c.followup_due_at, c.id) > ($3, $4)"
    " ORDER BY c.followup_due_at, c.id LIMIT $5"
)
_LATE_CALLBACKS = (
    "SELECT 'callback' AS kind, id, customer_id, consultant_id, due_at FROM callbacks"
    " WHERE project_id = $1 AND status = 'scheduled' AND due_at < $2 AND (due_at, id) > ($3, $4)"
    " ORDER BY due_at, id LIMIT $5"
)
_BY_CONSULTANT = f"""
SELECT consultant_id, sum(followups)::int AS followups, sum(callbacks)::int AS callbacks, min(oldest) AS oldest_due_at
FROM (SELECT c.owner_id AS consultant_id, count(*) AS followups, 0 AS callbacks, min(c.followup_due_at) AS oldest
        FROM customers c WHERE {_CHASED} GROUP BY 1
      UNION ALL
      SELECT consultant_id, 0, count(*), min(due_at) FROM callbacks
       WHERE project_id = $1 AND status = 'scheduled' AND due_at < $2 GROUP BY 1) AS late
GROUP BY consultant_id
"""


_MERGED = f"SELECT * FROM (({_DUE_CUSTOMERS}) UNION ALL ({_LATE_CALLBACKS})) AS late ORDER BY due_at, id LIMIT $5"


_NOT_YET_DUE = _CHASED.replace("c.followup_due_at < $2", "c.followup_due_at >= $2")
# The same counts without reading every overdue customer: the kept count of customers with a due time (`chased`,
# migration 012) less those whose due time is still ahead (by index: the customers not yet due).
_COUNTED = f"""
SELECT consultant_id, sum(followups)::int AS followups, sum(callbacks)::int AS callbacks
FROM (SELECT owner_id AS consultant_id, customers AS followups, 0 AS callbacks FROM chased WHERE project_id = $1
      UNION ALL
      SELECT c.owner_id, -count(*), 0 FROM customers c WHERE {_NOT_YET_DUE} GROUP BY 1
      UNION ALL
      SELECT consultant_id, 0, count(*) FROM callbacks
       WHERE project_id = $1 AND status = 'scheduled' AND due_at < $2 GROUP BY 1) AS late
GROUP BY consultant_id HAVING sum(followups) > 0 OR sum(callbacks) > 0
"""


async def overdue_items(
    conn: asyncpg.Connection, project_id: uuid.UUID, now: datetime, after: tuple[datetime, uuid.UUID], limit: int
) -> list[asyncpg.Record]:
    """At most `limit` overdue follow-ups and late call-backs after the key `after`, oldest first: each list read by
    its index up to `limit`, the two merged on (due time, id)."""
    return await conn.fetch(_MERGED, project_id, now, *after, limit)


async def overdue_counted(conn: asyncpg.Connection, project_id: uuid.UUID, now: datetime) -> list[asyncpg.Record]:
    """Per consultant: overdue follow-ups and late call-backs, from the kept counts (the weekly review)."""
    return await conn.fetch(_COUNTED, project_id, now)


async def overdue_by_consultant(conn: asyncpg.Connection, project_id: uuid.UUID, now: datetime) -> list[asyncpg.Record]:
    """Per consultant: overdue follow-ups, late call-backs and the oldest due time (an index-only count)."""
    return await conn.fetch(_BY_CONSULTANT, project_id, now)
