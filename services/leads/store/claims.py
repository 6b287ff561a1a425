"""Leads SQL for claims (R9): filed, listed with what each side did for the customer, decided."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from shared.db.rows import insert_row

_PAGE = (  # {status}: by `claims_project` (one status) or `claims_project_filed` (all)
    "SELECT * FROM claims WHERE project_id = $1 AND {status} AND (filed_at, id) > ($3, $4::uuid)"
    " ORDER BY filed_at, id LIMIT $5"
)
_FIRST = (datetime.fromisoformat("0001-01-01T00:00:00+00:00"), uuid.UUID(int=0))
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
    after, limit = window
    sql = _PAGE.format(status="status = $2" if status is not None else "$2::text IS NULL")
    return await conn.fetch(sql, project_id, status, *(after or _FIRST), limit)


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


_SIDE_FOLLOWUPS = (
    "SELECT f.customer_id, f.consultant_id, f.at, f.channel FROM unnest($1::uuid[], $2::text[]) AS s(customer, who)"
    " JOIN followups f ON f.customer_id = s.customer AND f.consultant_id = s.who ORDER BY f.at"
)
_SIDE_CALLS = (
    "SELECT c.customer_id, c.consultant_id, c.rang_at FROM unnest($1::uuid[], $2::text[]) AS s(customer, who)"
    " JOIN calls c ON c.customer_id = s.customer AND c.consultant_id = s.who ORDER BY c.rang_at"
)


async def side_records(
    conn: asyncpg.Connection, sides: list[tuple[uuid.UUID, str]]
) -> dict[tuple[uuid.UUID, str], dict[str, Any]]:
    """What each side (customer, consultant) did for the customer: their follow-ups and the calls they took (times
    and channels); every side of a page in two statements, by the customers' indexes."""
    records: dict[tuple[uuid.UUID, str], dict[str, Any]] = {
        side: {"consultant_id": side[1], "followups": [], "calls": []} for side in sides
    }
    customers, consultants = [c for c, _ in sides], [w for _, w in sides]
    for f in await conn.fetch(_SIDE_FOLLOWUPS, customers, consultants):
        records[(f["customer_id"], f["consultant_id"])]["followups"].append(
            {"at": f["at"].isoformat(), "channel": f["channel"]}
        )
    for c in await conn.fetch(_SIDE_CALLS, customers, consultants):
        records[(c["customer_id"], c["consultant_id"])]["calls"].append(c["rang_at"].isoformat())
    return records
