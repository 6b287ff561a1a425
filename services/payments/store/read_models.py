"""Payments SQL for what it learns from others (projects, holds, sales), schedules, payments, appointments."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeAlias

import asyncpg

from services.payments.domain import Payment
from shared.kernel.defaults import ProjectSettings

Row: TypeAlias = asyncpg.Record


async def project_rules(conn: asyncpg.Connection, project_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow(
        "SELECT code, cash_limit, cash_banking_days, timezone FROM projects WHERE project_id = $1", project_id
    )


_SAVE_PROJECT = (
    "INSERT INTO projects (project_id, code, cash_limit, cash_banking_days, timezone) VALUES ($1,$2,$3,$4,$5)"
    " ON CONFLICT (project_id) DO UPDATE SET code = $2, cash_limit = $3, cash_banking_days = $4, timezone = $5"
)


async def save_project(conn: asyncpg.Connection, project_id: uuid.UUID, code: str, rules: ProjectSettings) -> None:
    """The project's code (receipt prefix) and the rules payments applies: R24, R25, the time zone."""
    await conn.execute(_SAVE_PROJECT, project_id, code, rules.cash_limit, rules.cash_banking_days, rules.timezone)


async def hold_locked(conn: asyncpg.Connection, hold_id: uuid.UUID) -> Row | None:
    """The hold, locked against a concurrent release while a deposit is taken on it."""
    return await conn.fetchrow("SELECT * FROM holds WHERE hold_id = $1 FOR SHARE", hold_id)


async def hold(conn: asyncpg.Connection, hold_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow("SELECT * FROM holds WHERE hold_id = $1", hold_id)


async def save_hold(
    conn: asyncpg.Connection,
    hold_id: uuid.UUID,
    unit_id: uuid.UUID,
    project_id: uuid.UUID,
    customer_id: uuid.UUID,
    facts: dict[str, Any],
) -> None:
    """A hold is live unless its release was seen first (topics are not ordered together)."""
    await conn.execute(
        "INSERT INTO holds (hold_id, unit_id, project_id, customer_id, consultant_id, unit_number, expires_at, live)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7, NOT EXISTS (SELECT 1 FROM released_holds WHERE hold_id = $1))"
        " ON CONFLICT (hold_id) DO NOTHING",
        hold_id,
        unit_id,
        project_id,
        customer_id,
        facts["consultant_id"],
        facts["unit_number"],
        facts["expires_at"],
    )


async def release_hold(conn: asyncpg.Connection, hold_id: uuid.UUID) -> None:
    await conn.execute("INSERT INTO released_holds (hold_id) VALUES ($1) ON CONFLICT DO NOTHING", hold_id)
    await conn.execute("UPDATE holds SET live = false WHERE hold_id = $1", hold_id)


async def sale(conn: asyncpg.Connection, sale_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow("SELECT * FROM sales WHERE sale_id = $1", sale_id)


_SALE_SUBSCRIBED = (
    "SELECT 1 FROM sales s WHERE s.hold_id = $1 AND NOT EXISTS"
    " (SELECT 1 FROM cancelled_sales c WHERE c.sale_id = s.sale_id)"
)


async def sale_subscribed(conn: asyncpg.Connection, hold_id: uuid.UUID) -> bool:
    """A subscription was signed for this hold's sale and the sale was not cancelled."""
    return bool(await conn.fetchval(_SALE_SUBSCRIBED, hold_id))


_SAVE_SALE = (
    "INSERT INTO sales (sale_id, unit_id, project_id, customer_id, hold_id, price) VALUES ($1,$2,$3,$4,$5,$6)"
    " ON CONFLICT (sale_id) DO NOTHING"
)


async def save_sale(
    conn: asyncpg.Connection,
    sale_id: uuid.UUID,
    unit_id: uuid.UUID,
    project_id: uuid.UUID,
    customer_id: uuid.UUID,
    hold_id: uuid.UUID | None,
    price: Decimal,
) -> None:
    await conn.execute(_SAVE_SALE, sale_id, unit_id, project_id, customer_id, hold_id, price)


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
