"""Payments SQL for receipts (R26, issue 24): the project's one gap-free series, a deposit's or a payment's receipt
as printed, and every print counted."""

from __future__ import annotations

import uuid
from typing import TypeAlias

import asyncpg

Row: TypeAlias = asyncpg.Record

_NEXT_RECEIPT_COUNTER = (
    "INSERT INTO receipt_counters (project_id, prefix, last) VALUES ($1, $2, 1)"
    " ON CONFLICT (project_id) DO UPDATE SET last = receipt_counters.last + 1 RETURNING prefix, last"
)


async def next_receipt_counter(conn: asyncpg.Connection, project_id: uuid.UUID) -> tuple[str, int]:
    """No gaps: the counter moves in the caller's transaction (a rollback returns it); deposits and payments of a
    project share it."""
    code = await conn.fetchval("SELECT code FROM projects WHERE project_id = $1", project_id)
    row = await conn.fetchrow(_NEXT_RECEIPT_COUNTER, project_id, code or str(project_id)[:8].upper())
    return row["prefix"], row["last"]


# The unit's number from the hold it was sold under, else from any hold of the unit payments has seen.
_UNIT_NUMBER = (
    "coalesce(h.unit_number, (SELECT o.unit_number FROM holds o WHERE o.unit_id = {unit} ORDER BY o.expires_at DESC"
    " LIMIT 1)) AS unit_number"
)
_PROJECT = "pr.code AS project_code, pr.name AS project_name"
_DEPOSIT_RECEIPT = (
    f"SELECT d.*, {_UNIT_NUMBER.format(unit='d.unit_id')}, {_PROJECT} FROM deposits d"
    " LEFT JOIN holds h ON h.hold_id = d.hold_id LEFT JOIN projects pr ON pr.project_id = d.project_id WHERE d.id = $1"
)
_PAYMENT_RECEIPT = (
    f"SELECT p.*, s.unit_id, s.customer_id, {_UNIT_NUMBER.format(unit='s.unit_id')},"
    f" {_PROJECT} FROM payments p JOIN sales s ON s.sale_id = p.sale_id LEFT JOIN holds h ON h.hold_id = s.hold_id"
    " LEFT JOIN projects pr ON pr.project_id = s.project_id WHERE p.id = $1"
)


async def deposit_receipt(conn: asyncpg.Connection, deposit_id: uuid.UUID) -> Row | None:
    """The deposit with its unit's number and its project's code and name."""
    return await conn.fetchrow(_DEPOSIT_RECEIPT, deposit_id)


async def payment_receipt(conn: asyncpg.Connection, payment_id: uuid.UUID) -> Row | None:
    """The payment with its sale's unit and customer, the unit's number and the project's code and name."""
    return await conn.fetchrow(_PAYMENT_RECEIPT, payment_id)


async def prints_of(conn: asyncpg.Connection, receipt_no: str) -> int:
    return await conn.fetchval("SELECT count(*) FROM receipt_prints WHERE receipt_no = $1", receipt_no)


_PRINT = (
    "INSERT INTO receipt_prints (receipt_no, n, printed_by)"
    " SELECT $1, coalesce(max(n), 0) + 1, $2 FROM receipt_prints WHERE receipt_no = $1 RETURNING n"
)


async def record_print(conn: asyncpg.Connection, receipt_no: str, printed_by: str) -> int:
    """One more print of the receipt, by whom; which print it is (1: the original). Prints of one receipt queue
    behind each other (a transaction lock on its number), so no two get the same count."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('receipt:' || $1))", receipt_no)
        return await conn.fetchval(_PRINT, receipt_no, printed_by)
