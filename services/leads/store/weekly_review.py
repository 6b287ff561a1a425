"""Leads SQL for the weekly review (R2, R13, R17): one pass over leads' own tables and the events it keeps."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

# (consultant, metric, count) for one project and one [start, end) window; lost customers per reason.
_WEEK = """
WITH c AS (SELECT id, owner_id FROM customers WHERE project_id = $1)
SELECT owner_id AS consultant, 'new_customers' AS metric, count(*) AS n FROM customers
 WHERE project_id = $1 AND visitor_type = 'customer' AND registered_at >= $2 AND registered_at < $3 GROUP BY 1
UNION ALL SELECT f.consultant_id, 'followups', count(*) FROM followups f JOIN c ON c.id = f.customer_id
 WHERE f.at >= $2 AND f.at < $3 GROUP BY 1
UNION ALL SELECT consultant_id, 'calls', count(*) FROM calls WHERE project_id = $1 AND rang_at >= $2 AND rang_at < $3
 GROUP BY 1
UNION ALL SELECT consultant_id, 'calls_within_3_rings', count(*) FROM calls WHERE project_id = $1
 AND rang_at >= $2 AND rang_at < $3 AND answered_at IS NOT NULL AND rings <= 3 GROUP BY 1
UNION ALL SELECT h.consultant_id, 'holds', count(*) FROM holds h JOIN c ON c.id = h.customer_id
 WHERE h.locked_at >= $2 AND h.locked_at < $3 GROUP BY 1
UNION ALL SELECT c.owner_id, 'deposits', count(*) FROM timeline t JOIN c ON c.id = t.customer_id
 WHERE t.kind = 'deposit_verified' AND t.at >= $2 AND t.at < $3 GROUP BY 1
UNION ALL SELECT coalesce(t.detail->>'credited_to', c.owner_id), 'subscriptions', count(*) FROM timeline t
 JOIN c ON c.id = t.customer_id WHERE t.kind = 'subscription_signed' AND t.at >= $2 AND t.at < $3 GROUP BY 1
UNION ALL SELECT c.owner_id, 'contracts', count(*) FROM timeline t JOIN c ON c.id = t.customer_id
 WHERE t.kind = 'contract_signed' AND t.at >= $2 AND t.at < $3 GROUP BY 1
UNION ALL SELECT owner_id, 'lost:' || close_reason, count(*) FROM customers
 WHERE project_id = $1 AND closed_at >= $2 AND closed_at < $3 GROUP BY owner_id, close_reason
"""


async def week_figures(
    conn: asyncpg.Connection, project_id: uuid.UUID, start: datetime, end: datetime
) -> list[asyncpg.Record]:
    """Counts per consultant and metric in [start, end)."""
    return await conn.fetch(_WEEK, project_id, start, end)


async def profiles_registered(
    conn: asyncpg.Connection, project_id: uuid.UUID, start: datetime, end: datetime
) -> list[bytes]:
    """The sealed profiles of the customers registered in [start, end) (their needs are counted, R11)."""
    rows = await conn.fetch(
        "SELECT profile_enc FROM customers WHERE project_id = $1 AND registered_at >= $2"
        " AND registered_at < $3 AND profile_enc IS NOT NULL",
        project_id,
        start,
        end,
    )
    return [bytes(r["profile_enc"]) for r in rows]
