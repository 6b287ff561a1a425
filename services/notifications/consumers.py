"""Events that create reminders and messages (R28, R30, R32) and the project clock (R15)."""

from __future__ import annotations

import asyncpg

from services.notifications import store, use_cases
from services.notifications.domain import congratulations, down_payment_reminders, mortgage_reminders, overdue_notice
from services.notifications.webhooks import use_cases as webhook_cases
from shared.catalogue import (
    HANDOVER_COMPLETED,
    DepositRefundedData,
    HandoverCompletedData,
    MortgageAppointmentScheduledData,
    PaymentOverdueData,
    PaymentReceivedData,
    ProjectCreatedData,
    SaleCancelledData,
    SubscriptionSignedData,
)
from shared.envelope import Envelope


async def on_project_created(conn: asyncpg.Connection, env: Envelope, data: ProjectCreatedData) -> None:
    s = data.settings or {}
    await store.save_project(
        conn,
        data.project_id,
        s.get("timezone", use_cases.DEFAULT_CLOCK[0]),
        s.get("quiet_hours", use_cases.DEFAULT_CLOCK[1]),
    )


async def on_subscription_signed(conn: asyncpg.Connection, env: Envelope, data: SubscriptionSignedData) -> None:
    tz, _ = await use_cases.project_clock(conn, env.project_id)
    plans = down_payment_reminders(
        data.customer_id, data.consultant_id, str(data.down_payment.amount), data.down_payment.due_date, tz
    )
    await use_cases.schedule(
        conn,
        plans,
        project_id=env.project_id,
        customer_id=data.customer_id,
        sale_id=data.sale_id,
        unit_id=data.unit_id,
        source_event=str(env.id),
    )
    await use_cases.down_payment_due(conn, data.sale_id, data.down_payment.amount)


async def on_mortgage_appointment(
    conn: asyncpg.Connection, env: Envelope, data: MortgageAppointmentScheduledData
) -> None:
    tz, _ = await use_cases.project_clock(conn, env.project_id)
    await use_cases.appointment_moved(conn, data.sale_id, str(env.id))
    plans = mortgage_reminders(data.customer_id or "unknown", data.at, data.place, list(data.documents), tz)
    await use_cases.schedule(
        conn,
        plans,
        project_id=env.project_id,
        customer_id=data.customer_id,
        sale_id=data.sale_id,
        unit_id=data.unit_id,
        source_event=str(env.id),
    )


async def on_payment_received(conn: asyncpg.Connection, env: Envelope, data: PaymentReceivedData) -> None:
    await use_cases.payment_received(conn, data.sale_id, data.kind, data.amount)


async def on_sale_cancelled(conn: asyncpg.Connection, env: Envelope, data: SaleCancelledData) -> None:
    await use_cases.sale_cancelled(conn, data.sale_id, data.reason)


async def on_deposit_refunded(conn: asyncpg.Connection, env: Envelope, data: DepositRefundedData) -> None:
    await use_cases.deposit_refunded(conn, data.unit_id, data.customer_id)


async def on_payment_overdue(conn: asyncpg.Connection, env: Envelope, data: PaymentOverdueData) -> None:
    plan = overdue_notice(env.project_id or "", data.sale_id, str(data.amount), data.due_date, use_cases.now_utc())
    await use_cases.schedule(
        conn,
        [plan],
        project_id=env.project_id,
        customer_id=data.customer_id,
        sale_id=data.sale_id,
        source_event=str(env.id),
    )


async def on_handover_completed(conn: asyncpg.Connection, env: Envelope, data: HandoverCompletedData) -> None:
    unit = data.unit or {}
    label = f"{unit.get('building', '')}-{unit.get('number', '')}".strip("-") or data.unit_id
    plan = congratulations(data.customer_id, label, use_cases.now_utc())
    await use_cases.schedule(
        conn,
        [plan],
        project_id=env.project_id,
        customer_id=data.customer_id,
        sale_id=data.sale_id,
        source_event=str(env.id),
    )
    await webhook_cases.record_deliveries(conn, env, HANDOVER_COMPLETED, data.unit_id)  # issue 12
