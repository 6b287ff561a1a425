"""Leads SQL for referrals (R34): who referred whom, and the reward once the referred buyer signs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from shared.db import insert_row, window_args

_REWARD = (
    "UPDATE referrals SET status = 'rewarded', reward = $2, contracted_at = $3, rewarded_at = $3"
    " WHERE customer_id = $1 AND status = 'registered' RETURNING id, project_id, referrer_customer_id"
)
_PAGE = (
    "SELECT * FROM referrals WHERE project_id = $1"
    " AND ($2::timestamptz IS NULL OR (registered_at, id) > ($2, $3::uuid)) ORDER BY registered_at, id LIMIT $4"
)


async def note_referral(conn: asyncpg.Connection, referral: dict[str, Any]) -> None:
    await insert_row(conn, "referrals", referral, "ON CONFLICT (customer_id) DO NOTHING")


async def reward_referral(
    conn: asyncpg.Connection, customer_id: uuid.UUID, reward: str, at: datetime
) -> asyncpg.Record | None:
    """The referral of this customer, rewarded once (None when there is none, or it was rewarded already)."""
    return await conn.fetchrow(_REWARD, customer_id, reward, at)


async def referrals_page(
    conn: asyncpg.Connection, project_id: uuid.UUID, window: tuple[Any, int]
) -> list[asyncpg.Record]:
    return await conn.fetch(_PAGE, project_id, *window_args(window))
