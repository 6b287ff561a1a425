"""Payments SQL for a sale after its subscription: the payment schedule (R28), payments against it, the mortgage
appointment (R30), cancellation (退订) and the lines overdue."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TypeAlias

import asyncpg

from services.payments.domain import Payment

Row: TypeAlias = asyncpg.Record


async def schedule_payment(conn: asyncpg.Connection, sale_id: uuid.UUID, kind: str, amount: Decimal, due: date) -> None:
    await conn.execute(  # a cancellation seen first (another topic) leaves nothing to collect
        "INSERT INTO schedule (id, sale_id, kind, amount, due_date, cancelled) VALUES ($1,$2,$3,$4,$5,"
        " EXISTS (SELECT 1 FROM cancelled_sales WHERE sale_id = $2)) ON CONFLICT (sale_id, kind) DO NOTHING",
        uuid.uuid4(),
        sale_id,
        kind,
        amount,
        due,
    )


_RECORD_CANCELLATION = (
    "INSERT INTO cancelled_sales (sale_id, hold_id, reason) VALUES ($1, $2, $3)"
    " ON CONFLICT DO NOTHING RETURNING sale_id"
)


async def record_cancellation(
    conn: asyncpg.Connection, sale_id: uuid.UUID, hold_id: uuid.UUID | None, reason: str
) -> bool:
    """True the first time; the sale's schedule is cancelled with it."""
    first = await conn.fetchval(_RECORD_CANCELLATION, sale_id, hold_id, reason)
    if first is not None:
        await conn.execute("UPDATE schedule SET cancelled = true WHERE sale_id = $1", sale_id)
    return first is not None


_INSERT_PAYMENT = (
    "INSERT INTO payments (id, sale_id, kind, amount, method, reference, received_by) VALUES ($1,$2,$3,$4,$5,$6,$7)"
)


async def insert_payment(
    conn: asyncpg.Connection, payment_id: uuid.UUID, sale_id: uuid.UUID, paid: Payment, actor: str
) -> None:
    """The payment, applied to its line of the schedule."""
    await conn.execute(_INSERT_PAYMENT, payment_id, sale_id, paid.kind, paid.amount, paid.method, paid.reference, actor)
    await conn.execute(
        "UPDATE schedule SET paid = paid + $3 WHERE sale_id = $1 AND kind = $2", sale_id, paid.kind, paid.amount
    )


_INSERT_APPOINTMENT = (
    "INSERT INTO mortgage_appointments (id, sale_id, at, place, documents, booked_by) VALUES ($1,$2,$3,$4,$5,$6)"
)


async def insert_appointment(
    conn: asyncpg.Connection,
    appointment_id: uuid.UUID,
    sale_id: uuid.UUID,
    at: datetime,
    place: str,
    documents: list[str],
    actor: str,
) -> None:
    await conn.execute(_INSERT_APPOINTMENT, appointment_id, sale_id, at, place, documents, actor)


_UNPAID_LINES_DUE_BY = (
    "SELECT s.*, sa.unit_id, sa.customer_id, sa.project_id, coalesce(p.timezone, $2) AS tz"
    " FROM schedule s JOIN sales sa ON sa.sale_id = s.sale_id LEFT JOIN projects p ON p.project_id = sa.project_id"
    " WHERE NOT s.overdue_reported AND NOT s.cancelled AND s.paid < s.amount AND s.due_date < $1::date + 1"
    " FOR UPDATE OF s SKIP LOCKED"
)


async def unpaid_lines_due_by(conn: asyncpg.Connection, day: date, default_tz: str) -> list[Row]:
    """Schedule lines not yet reported, unpaid and due by `day` (in any zone), locked; with their project's zone."""
    return await conn.fetch(_UNPAID_LINES_DUE_BY, day, default_tz)


async def mark_overdue_reported(conn: asyncpg.Connection, line_id: uuid.UUID) -> None:
    await conn.execute("UPDATE schedule SET overdue_reported = true WHERE id = $1", line_id)
