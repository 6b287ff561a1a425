"""Payments SQL for a sale after its subscription: the payment schedule (R28), payments against it, the mortgage
appointment (R30), cancellation (退订) and the lines overdue."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TypeAlias

import asyncpg

from services.payments.domain import Payment, cny_value

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
    "INSERT INTO payments (id, sale_id, kind, amount, method, reference, received_by, project_id, currency,"
    " cny_equivalent, source_of_funds, cheque_no, note_serials, payer_enc, receipt_no)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15) RETURNING at"
)


async def insert_payment(
    conn: asyncpg.Connection, sale: Row, payment_id: uuid.UUID, paid: Payment, receipt: tuple[str, str, bytes | None]
) -> datetime:
    """The payment with its receipt number, applied to its line of the schedule; when it was received. `receipt` is
    (receipt number, who received it, the payer sealed)."""
    receipt_no, actor, payer_enc = receipt
    in_cny = cny_value(paid)  # the schedule is in yuan
    money = (paid.currency, paid.cny_equivalent, paid.source_of_funds, paid.cheque_no, list(paid.note_serials))
    at = await conn.fetchval(
        _INSERT_PAYMENT,
        payment_id,
        sale["sale_id"],
        paid.kind,
        paid.amount,
        paid.method,
        paid.reference,
        actor,
        sale["project_id"],
        *money,
        payer_enc,
        receipt_no,
    )
    await conn.execute(
        "UPDATE schedule SET paid = paid + $3 WHERE sale_id = $1 AND kind = $2", sale["sale_id"], paid.kind, in_cny
    )
    return at


_CASH_ON_SALE = """
SELECT coalesce((SELECT sum(CASE WHEN currency = 'CNY' THEN amount ELSE coalesce(cny_equivalent, amount) END)
                 FROM payments WHERE sale_id = $1 AND method = 'cash'), 0)
     + coalesce((SELECT sum(CASE WHEN currency = 'CNY' THEN amount ELSE coalesce(cny_equivalent, amount) END)
                 FROM deposits WHERE method = 'cash' AND status <> 'refunded'
                 AND (hold_id = $2 OR (unit_id = $3 AND customer_id = $4))), 0)
"""


async def cash_on_sale(conn: asyncpg.Connection, sale: Row) -> Decimal:
    """R25: the cash a sale has received in yuan, its deposit's included."""
    return await conn.fetchval(_CASH_ON_SALE, sale["sale_id"], sale["hold_id"], sale["unit_id"], sale["customer_id"])


_RECEIVED = (
    "SELECT coalesce(sum(amount), 0) FROM ledger WHERE (sale_id = $1 OR (hold_id = $2 AND $2 IS NOT NULL))"
    " AND (kind IN ('deposit_verified', 'deposit_refunded') OR kind LIKE 'payment_%')"
)


async def received_on_sale(conn: asyncpg.Connection, sale: Row) -> Decimal:
    """What the buyer has paid towards the sale, net of refunds, from the ledger (R35)."""
    return await conn.fetchval(_RECEIVED, sale["sale_id"], sale["hold_id"])


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
