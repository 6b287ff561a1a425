"""Payments SQL for deposits: taking, counting, receipts, banking and refunds (R22-R26)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeAlias

import asyncpg

from services.payments.domain import DepositRequest
from shared.db.rows import earliest

Row: TypeAlias = asyncpg.Record
_LIVE = "('pending_verification', 'verified')"


async def live_deposit_on(conn: asyncpg.Connection, hold_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval(f"SELECT 1 FROM deposits WHERE hold_id = $1 AND status IN {_LIVE}", hold_id))


_CASH_ON_HOLD = (
    "SELECT coalesce(sum(CASE WHEN currency = 'CNY' THEN amount ELSE coalesce(cny_equivalent, amount) END), 0)"
    " FROM deposits WHERE hold_id = $1 AND method = 'cash' AND status <> 'refunded'"
)


async def cash_on_hold(conn: asyncpg.Connection, hold_id: uuid.UUID) -> Decimal:
    """R25: cash already taken on this hold and not refunded, in yuan."""
    return await conn.fetchval(_CASH_ON_HOLD, hold_id)


async def insert_deposit(
    conn: asyncpg.Connection,
    deposit_id: uuid.UUID,
    hold: Row,
    customer_id: uuid.UUID,
    req: DepositRequest,
    payer_enc: bytes | None,
    taken_by: str,
) -> None:
    """Raises UniqueViolationError when a concurrent deposit on the same hold won (one live per hold)."""
    await conn.execute(
        "INSERT INTO deposits (id, project_id, unit_id, hold_id, customer_id, amount, currency, method,"
        " source_of_funds, reference, cheque_no, note_serials, payer_enc, taken_by, cny_equivalent)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)",
        deposit_id,
        hold["project_id"],
        hold["unit_id"],
        hold["hold_id"],
        customer_id,
        req.amount,
        req.currency,
        req.method,
        req.source_of_funds,
        req.reference,
        req.cheque_no,
        list(req.note_serials),
        payer_enc,
        taken_by,
        req.cny_equivalent,
    )


async def deposit_head(conn: asyncpg.Connection, deposit_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow("SELECT id, project_id, customer_id FROM deposits WHERE id = $1", deposit_id)


async def deposit_locked(conn: asyncpg.Connection, deposit_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow("SELECT * FROM deposits WHERE id = $1 FOR UPDATE", deposit_id)


async def set_first_verifier(conn: asyncpg.Connection, deposit_id: uuid.UUID, verifier: str) -> None:
    await conn.execute("UPDATE deposits SET first_verifier = $2 WHERE id = $1", deposit_id, verifier)


_MARK_VERIFIED = (
    "UPDATE deposits SET status = 'verified', second_verifier = $2, verified_at = $3, receipt_no = $4,"
    " banking_due_at = $5 WHERE id = $1"
)


async def mark_verified(
    conn: asyncpg.Connection,
    deposit_id: uuid.UUID,
    verifier: str,
    at: datetime,
    receipt_no: str,
    banking_due_at: datetime | None,
) -> None:
    await conn.execute(_MARK_VERIFIED, deposit_id, verifier, at, receipt_no, banking_due_at)


async def plain_payers(conn: asyncpg.Connection, limit: int) -> list[Row]:
    return await conn.fetch(
        "SELECT id, payer FROM deposits WHERE payer IS NOT NULL LIMIT $1 FOR UPDATE SKIP LOCKED", limit
    )


async def seal_payer(conn: asyncpg.Connection, deposit_id: uuid.UUID, payer_enc: bytes) -> None:
    await conn.execute("UPDATE deposits SET payer_enc = $2, payer = NULL WHERE id = $1", deposit_id, payer_enc)


_MARK_BANKED = (
    "UPDATE deposits SET banked_at = now(), bank_ref = $2, escorts = $3, banking_overdue = false WHERE id = $1"
)


async def mark_banked(conn: asyncpg.Connection, deposit_id: uuid.UUID, bank_ref: str, escorts: list[str]) -> None:
    await conn.execute(_MARK_BANKED, deposit_id, bank_ref, escorts)


_MARK_BANKING_OVERDUE = (
    "UPDATE deposits SET banking_overdue = true WHERE id IN (SELECT id FROM deposits WHERE method = 'cash'"
    " AND banked_at IS NULL AND status = 'verified' AND banking_due_at <= $1 AND NOT banking_overdue"
    " ORDER BY banking_due_at LIMIT 200 FOR UPDATE SKIP LOCKED) RETURNING *"
)


async def mark_banking_overdue(conn: asyncpg.Connection, now: datetime) -> list[Row]:
    """R24: verified cash not banked by its deadline, flagged once (the rows flagged now; a batch at a time)."""
    return await conn.fetch(_MARK_BANKING_OVERDUE, now)


async def next_banking_due(conn: asyncpg.Connection) -> datetime | None:
    """When the next verified cash falls due for the bank (the watch sleeps until then)."""
    return await earliest(conn, "deposits", "banking_due_at", _UNFLAGGED_CASH)


_UNFLAGGED_CASH = "method = 'cash' AND banked_at IS NULL AND status = 'verified' AND NOT banking_overdue"


_MARK_REFUNDED = "UPDATE deposits SET status = 'refunded', refunded_at = now(), refund_reason = $2 WHERE id = $1"


async def mark_refunded(conn: asyncpg.Connection, deposit_id: uuid.UUID, reason: str) -> None:
    await conn.execute(_MARK_REFUNDED, deposit_id, reason)


async def live_deposits_of_sale(
    conn: asyncpg.Connection, hold_id: uuid.UUID | None, unit_id: uuid.UUID, customer_id: uuid.UUID
) -> list[Row]:
    return await conn.fetch(
        f"SELECT * FROM deposits WHERE status IN {_LIVE}"
        " AND (hold_id = $1 OR (unit_id = $2 AND customer_id = $3)) FOR UPDATE",
        hold_id,
        unit_id,
        customer_id,
    )


_DEPOSITS_PAGE = (
    "SELECT id, unit_id, amount, method, status, receipt_no, banking_due_at, banked_at, banking_overdue,"
    " taken_at FROM deposits WHERE project_id = $1 AND ($2 OR banking_overdue)"
    " AND ($3::timestamptz IS NULL OR (taken_at, id) > ($3, $4::uuid)) ORDER BY taken_at, id LIMIT $5"
)


async def deposits_page(
    conn: asyncpg.Connection, project_id: uuid.UUID, overdue_only: bool, after: tuple[Any, Any] | None, limit: int
) -> list[Row]:
    after_at, after_id = after or (None, None)
    return await conn.fetch(_DEPOSITS_PAGE, project_id, not overdue_only, after_at, after_id, limit)
