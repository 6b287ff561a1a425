"""Leads SQL across the projects of one group (v1.2): where else a phone is a customer or an owner (the lookup,
R4 with R18), and the owner a referral by phone names (R34). A person is found by the phone's keyed hash; an owner
is a customer whose unit was handed over (leads hears every handover)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import asyncpg

_OWNER = "EXISTS (SELECT 1 FROM sales s WHERE s.customer_id = c.id AND s.handed_over_at IS NOT NULL)"

# The phone's customers in the other projects named, only those who consented to sharing (R18), key visitors (R5)
# being no customers; what is shown is the project and whether they own a home there, nobody's name.
_ELSEWHERE = f"""
SELECT c.project_id, p.name AS project_name, {_OWNER} AS owner
  FROM customers c LEFT JOIN projects p ON p.project_id = c.project_id
 WHERE c.phone_hash = $1 AND c.project_id = ANY($2::uuid[]) AND c.project_id <> $3
   AND c.consent_share AND c.visitor_type = 'customer'
 ORDER BY p.name NULLS LAST, c.project_id
"""
# The phone's owner among the projects named: the one of project $3 first, then the longest-standing.
_OWNER_BY_PHONE = """
SELECT c.*, first.handed_over_at
  FROM customers c
  JOIN LATERAL (SELECT min(s.handed_over_at) AS handed_over_at FROM sales s WHERE s.customer_id = c.id) first
    ON first.handed_over_at IS NOT NULL
 WHERE c.phone_hash = $1 AND c.project_id = ANY($2::uuid[])
 ORDER BY c.project_id = $3 DESC, first.handed_over_at, c.id
 LIMIT 1
"""


async def customers_elsewhere(
    conn: asyncpg.Connection, phone_hash: bytes, projects: Sequence[uuid.UUID], here: uuid.UUID
) -> list[asyncpg.Record]:
    """(project_id, project_name, owner) for the phone's consenting customers in `projects` other than `here`."""
    return await conn.fetch(_ELSEWHERE, phone_hash, list(projects), here)


async def owner_by_phone(
    conn: asyncpg.Connection, phone_hash: bytes, projects: Sequence[uuid.UUID], here: uuid.UUID
) -> asyncpg.Record | None:
    """The customer row of the phone's owner in `projects` (`here`'s first), None when the phone owns no home."""
    return await conn.fetchrow(_OWNER_BY_PHONE, phone_hash, list(projects), here)
