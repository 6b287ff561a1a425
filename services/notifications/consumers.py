"""Events that create reminders and messages (R28, R30, R32) and the project clock (R15)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.notifications import use_cases
from services.notifications.domain import (
    congratulations, down_payment_reminders, mortgage_reminders, overdue_notice,
)
from shared.envelope import Envelope


async def on_project_created(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
    s = data.settings or {}
    await conn.execute(
        "INSERT INTO projects (project_id, timezone, quiet_hours) VALUES ($1,$2,$3) ON CONFLICT (project_id)"
        " DO UPDATE SET timezone = $2, quiet_hours = $3", uuid.UUID(data.project_id),
        s.get("timezone", "Asia/Shanghai"), s.get("quiet_hours", "21:00-09:00"))


async def on_subscription_signed(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
    tz, _ = await use_cases.project_clock(conn, env.project_id)
    plans = down_payment_reminders(data.customer_id, data.consultant_id, str(data.down_payment.amount),
                                   data.down_payment.due_date, tz)
    await use_cases.schedule(conn, plans, project_id=env.project_id, customer_id=data.customer_id,
                             sale_id=data.sale_id, source_event=str(env.id))


async def on_mortgage_appointment(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
    tz, _ = await use_cases.project_clock(conn, env.project_id)
    plans = mortgage_reminders(data.customer_id or "unknown", data.at, data.place, list(data.documents), tz)
    await use_cases.schedule(conn, plans, project_id=env.project_id, customer_id=data.customer_id,
                             sale_id=data.sale_id, source_event=str(env.id))


async def on_payment_overdue(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
    plan = overdue_notice(env.project_id or "", data.sale_id, str(data.amount), data.due_date, use_cases.now_utc())
    await use_cases.schedule(conn, [plan], project_id=env.project_id, customer_id=data.customer_id,
                             sale_id=data.sale_id, source_event=str(env.id))


async def on_handover_completed(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
    unit = data.unit or {}
    label = f"{unit.get('building', '')}-{unit.get('number', '')}".strip("-") or data.unit_id
    plan = congratulations(data.customer_id, label, use_cases.now_utc())
    await use_cases.schedule(conn, [plan], project_id=env.project_id, customer_id=data.customer_id,
                             sale_id=data.sale_id, source_event=str(env.id))
