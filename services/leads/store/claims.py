"""Leads SQL for claims (R9): filed, listed with what each side did for the customer, decided."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from shared.db.rows import insert_row, window_args

_PAGE = (
    "SELECT * FROM claims WHERE project_id = $1 AND ($2::text IS NULL OR status = $2)"
    " AND ($3::timestamptz IS NULL OR (filed_at, id) > ($3, $4::uuid)) ORDER BY filed_at, id LIMIT $5"
)
_DECIDE = (
    "UPDATE claims SET status = 'decided', winner_id = $2, decision_reason_enc = $3, decided_by = $4, decided_at = $5"
    " WHERE id = $1"
)


async def file_claim(conn: asyncpg.Connection, claim: dict[str, Any]) -> None:
    """Raises UniqueViolationError when this consultant has an open claim on the customer already."""
    await insert_row(conn, "claims", claim)


async def claim(conn: asyncpg.Connection, claim_id: uuid.UUID, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM claims WHERE id = $1" + (" FOR UPDATE" if lock else ""), claim_id)


async def claims_page(
    conn: asyncpg.Connection, project_id: uuid.UUID, status: str | None, window: tuple[tuple[Any, Any] | None, int]
) -> list[asyncpg.Record]:
    """A project's claims, oldest first (keyset paging on filing time and id)."""
    return await conn.fetch(_PAGE, project_id, status, *window_args(window))


async def decide_claim(
    conn: asyncpg.Connection, claim_id: uuid.UUID, winner: str, reason_enc: bytes, by: str, at: datetime
) -> None:
    await conn.execute(_DECIDE, claim_id, winner, reason_enc, by, at)


async def plain_claim_reasons(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Claims from before migration 011 whose reasons are still in clear."""
    return await conn.fetch(
        "SELECT id, reason, decision_reason FROM claims WHERE reason IS NOT NULL OR decision_reason IS NOT NULL"
        " LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit,
    )


async def seal_claim_reasons(
    conn: asyncpg.Connection, claim_id: uuid.UUID, reason_enc: bytes | None, decision_enc: bytes | None
) -> None:
    await conn.execute(
        "UPDATE claims SET reason_enc = coalesce($2, reason_enc), decision_reason_enc = coalesce($3,"
        " decision_reason_enc), reason = NULL, decision_reason = NULL WHERE id = $1",
        claim_id,
        reason_enc,
        decision_enc,
    )


async def side_records(conn: asyncpg.Connection, customer_id: uuid.UUID, consultant: str) -> dict[str, Any]:
    """What one side did for the customer: their follow-ups and the calls they took (times and channels)."""
    followups = await conn.fetch(
        "SELECT at, channel FROM followups WHERE customer_id = $1 AND consultant_id = $2 ORDER BY at",
        customer_id,
        consultant,
    )
    calls = await conn.fetch(
        "SELECT rang_at FROM calls WHERE customer_id = $1 AND consultant_id = $2 ORDER BY rang_at",
        customer_id,
        consultant,
    )
    return {
        "consultant_id": consultant,
        "followups": [{"at": f["at"].isoformat(), "channel": f["channel"]} for f in followups],
        "calls": [c["rang_at"].isoformat() for c in calls],
    }
