"""Payments' read models (projects, live holds, sales) and the down-payment schedule (R28)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import asyncpg

from services.payments import use_cases
from shared.catalogue import (
    ProjectCreatedData,
    SaleCancelledData,
    SubscriptionSignedData,
    UnitLockedData,
    UnitReleasedData,
)
from shared.envelope import Envelope


async def on_project_created(conn: asyncpg.Connection, env: Envelope, data: ProjectCreatedData) -> None:
    s = data.settings or {}
    await conn.execute(
        "INSERT INTO projects (project_id, code, cash_limit, cash_banking_days, timezone) VALUES ($1,$2,$3,$4,$5)"
        " ON CONFLICT (project_id) DO UPDATE SET code = $2, cash_limit = $3, cash_banking_days = $4, timezone = $5",
        uuid.UUID(data.project_id), data.code, Decimal(str(s.get("cash_limit", "10000.00"))),
        int(s.get("cash_banking_days", 2)), s.get("timezone", "Asia/Shanghai"))


async def on_unit_locked(conn: asyncpg.Connection, env: Envelope, data: UnitLockedData) -> None:
    """R22's read model: a hold is live from unit-locked until unit-released."""
    await conn.execute(
        "INSERT INTO holds (hold_id, unit_id, project_id, customer_id, consultant_id, unit_number, expires_at, live)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7, NOT EXISTS (SELECT 1 FROM released_holds WHERE hold_id = $1))"
        " ON CONFLICT (hold_id) DO NOTHING", uuid.UUID(data.hold_id),
        uuid.UUID(data.unit_id), uuid.UUID(env.project_id), uuid.UUID(data.customer_id), data.consultant_id,
        f"{data.building}-{data.number}", data.expires_at)


async def on_unit_released(conn: asyncpg.Connection, env: Envelope, data: UnitReleasedData) -> None:
    """The hold is over, whether or not its unit-locked has been seen yet (topics are not ordered together)."""
    await conn.execute("INSERT INTO released_holds (hold_id) VALUES ($1) ON CONFLICT DO NOTHING", uuid.UUID(data.hold_id))
    await conn.execute("UPDATE holds SET live = false WHERE hold_id = $1", uuid.UUID(data.hold_id))


async def on_subscription_signed(conn: asyncpg.Connection, env: Envelope, data: SubscriptionSignedData) -> None:
    """The sale becomes payable: its down payment is scheduled (R28)."""
    sale_id = uuid.UUID(data.sale_id)
    await conn.execute(
        "INSERT INTO sales (sale_id, unit_id, project_id, customer_id, hold_id, price) VALUES ($1,$2,$3,$4,$5,$6)"
        " ON CONFLICT (sale_id) DO NOTHING", sale_id, uuid.UUID(data.unit_id), uuid.UUID(env.project_id),
        uuid.UUID(data.customer_id), uuid.UUID(data.hold_id) if data.hold_id else None, data.price)
    await conn.execute(  # a cancellation seen first (another topic) leaves nothing to collect
        "INSERT INTO schedule (id, sale_id, kind, amount, due_date, cancelled) VALUES ($1,$2,'down_payment',$3,$4,"
        " EXISTS (SELECT 1 FROM cancelled_sales WHERE sale_id = $2)) ON CONFLICT (sale_id, kind) DO NOTHING",
        uuid.uuid4(), sale_id, data.down_payment.amount, data.down_payment.due_date)


async def on_sale_cancelled(conn: asyncpg.Connection, env: Envelope, data: SaleCancelledData) -> None:
    """退订: payments refunds what the sale received through the normal refund path."""
    await use_cases.cancel_sale(conn, uuid.UUID(data.sale_id), uuid.UUID(data.hold_id) if data.hold_id else None,
                                uuid.UUID(data.unit_id), uuid.UUID(data.customer_id), data.reason)
