"""Leads SQL for the day's visitor register (来访登记, R5): who was registered on a local day — customers and key
visitors — and the customers registered earlier who came in that day (a follow-up on the visit channel)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime

import asyncpg

# $2/$3: the local day [start, end); $4: the visit channel; $5 NULL or the only owner besides key visitors, whose
# types are $6; keyset (first_seen_at, id) after $7/$8, oldest first, at most $9.
_DAY_REGISTER = """
WITH seen AS (
    SELECT c.id, c.visitor_type, c.owner_id, c.name_enc, c.phone_masked,
           c.registered_at AS first_seen_at, 'registered' AS kind
      FROM customers c
     WHERE c.project_id = $1 AND c.registered_at >= $2 AND c.registered_at < $3
    UNION ALL
    SELECT c.id, c.visitor_type, c.owner_id, c.name_enc, c.phone_masked, min(f.at), 'returned'
      FROM customers c JOIN followups f ON f.customer_id = c.id
     WHERE c.project_id = $1 AND f.project_id = $1 AND c.registered_at < $2 AND f.channel = $4
       AND f.at >= $2 AND f.at < $3
     GROUP BY c.id
)
SELECT * FROM seen
 WHERE ($5::text IS NULL OR owner_id = $5 OR visitor_type = ANY($6::text[]))
   AND ($7::timestamptz IS NULL OR (first_seen_at, id) > ($7, $8::uuid))
 ORDER BY first_seen_at, id
 LIMIT $9
"""


async def day_register(
    conn: asyncpg.Connection,
    project_id: uuid.UUID,
    span: tuple[datetime, datetime],
    visit_channel: str,
    seen_by: tuple[str | None, Collection[str]],
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[asyncpg.Record]:
    """The register's rows of one local day, oldest first: `seen_by` is (None: everyone, or the one owner whose
    customers show, and the key visitor types that always show)."""
    owner, key_types = seen_by
    at, ident = after or (None, None)
    args = (project_id, *span, visit_channel, owner, list(key_types), at, ident, limit)
    return await conn.fetch(_DAY_REGISTER, *args)
