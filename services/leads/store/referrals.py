"""Leads SQL for referrals (R34): who referred whom (v1.2: perhaps an owner of another project of the group, or a
phone that owns no home), and what became of it once the referred buyer signed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from shared.db.rows import insert_row, window_args

# The buyer's referral, locked, with both sides' visitor types as they are now (R5 may have retyped one since).
_OF_BUYER = (
    "SELECT r.id, r.project_id, r.referrer_customer_id, r.referrer_project_id, r.status,"
    " referrer.visitor_type AS referrer_type,"
    " buyer.visitor_type AS referred_type FROM referrals r"
    " JOIN customers referrer ON referrer.id = r.referrer_customer_id JOIN customers buyer ON buyer.id = r.customer_id"
    " WHERE r.customer_id = $1 FOR UPDATE OF r"
)
_SETTLE = (
    "UPDATE referrals SET status = $2, reward = $3, contracted_at = $4,"
    " rewarded_at = CASE WHEN $2 = 'rewarded' THEN $4::timestamptz END"
    " WHERE id = $1 AND status = 'registered' RETURNING id"
)
# A project's referrals: of its new customers, and (v1.2) those its owners made in the group's other projects.
_PAGE = (
    "SELECT * FROM referrals WHERE (project_id = $1 OR referrer_project_id = $1)"
    " AND ($2::timestamptz IS NULL OR (registered_at, id) > ($2, $3::uuid)) ORDER BY registered_at, id LIMIT $4"
)


async def note_referral(conn: asyncpg.Connection, referral: dict[str, Any]) -> None:
    await insert_row(conn, "referrals", referral, "ON CONFLICT (customer_id) DO NOTHING")


async def referral_of_buyer(conn: asyncpg.Connection, customer_id: uuid.UUID) -> asyncpg.Record | None:
    """The referral that brought this customer, locked until the transaction ends (None when there is none)."""
    return await conn.fetchrow(_OF_BUYER, customer_id)


async def settle_referral(
    conn: asyncpg.Connection, referral_id: uuid.UUID, status: str, reward: str | None, at: datetime
) -> bool:
    """A registered referral's outcome at the buyer's contract (`rewarded` with its reward, or why not), once:
    False when it was settled already."""
    return await conn.fetchval(_SETTLE, referral_id, status, reward, at) is not None


async def referrals_page(
    conn: asyncpg.Connection, project_id: uuid.UUID, window: tuple[Any, int]
) -> list[asyncpg.Record]:
    return await conn.fetch(_PAGE, project_id, *window_args(window))
