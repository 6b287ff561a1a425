"""Events that create reminders and messages (R24, R28, R30, R32) and the project clock (R15)."""

from __future__ import annotations

from typing import Any

import asyncpg

from services.notifications import store, use_cases
from services.notifications.domain import (
    Planned,
    callback_reminder,
    cash_not_banked,
    congratulations,
    daily_report,
    down_payment_reminders,
    mortgage_reminders,
    overdue_digest,
    overdue_notice,
    project_news,
    referral_rewards,
)
from services.notifications.webhooks import use_cases as webhook_cases
from shared.kernel.clock import now_utc
from shared.kernel.defaults import ProjectSettings
from shared.messaging import topics
from shared.messaging.envelope import Envelope
from shared.messaging.inbox import Handlers
from shared.trust import orgs

HANDLERS = Handlers()


@HANDLERS.on(topics.PROJECT_CREATED)
async def on_project_created(conn: asyncpg.Connection, env: Envelope, data: topics.ProjectCreatedData) -> None:
    """Read model: the project's clock, time zone and quiet hours (R15)."""
    rules = ProjectSettings.from_event(data.settings)
    await store.save_project(conn, data.project_id, rules.timezone, rules.quiet_hours)
    await orgs.remember_project(conn, data.project_id, data.org_id)


@HANDLERS.on(topics.PROJECT_CHANGED)
async def on_project_changed(conn: asyncpg.Connection, env: Envelope, data: topics.ProjectChangedData) -> None:
    """v1.2: the project's clock and quiet hours from now on (R15: reminders not yet sent are checked again at
    send time) and its org unit."""
    rules = ProjectSettings.from_event(data.settings)
    await store.save_project(conn, data.project_id, rules.timezone, rules.quiet_hours, changed=True)
    await orgs.remember_project(conn, data.project_id, data.org_id)


@HANDLERS.on(topics.SUBSCRIPTION_SIGNED)
async def on_subscription_signed(conn: asyncpg.Connection, env: Envelope, data: topics.SubscriptionSignedData) -> None:
    tz, _ = await use_cases.project_clock(conn, env.project_id)
    plans = down_payment_reminders(
        data.customer_id, data.consultant_id, str(data.down_payment.amount), data.down_payment.due_date, tz
    )
    await _schedule(conn, env, data, plans)
    await use_cases.down_payment_due(conn, data.sale_id, data.down_payment.amount)


@HANDLERS.on(topics.MORTGAGE_APPOINTMENT_SCHEDULED)
async def on_mortgage_appointment(
    conn: asyncpg.Connection, env: Envelope, data: topics.MortgageAppointmentScheduledData
) -> None:
    tz, _ = await use_cases.project_clock(conn, env.project_id)
    await use_cases.appointment_moved(conn, data.sale_id, str(env.id))
    plans = mortgage_reminders(data.customer_id or "unknown", data.at, data.place, list(data.documents), tz)
    await _schedule(conn, env, data, plans)


@HANDLERS.on(topics.PAYMENT_RECEIVED)
async def on_payment_received(conn: asyncpg.Connection, env: Envelope, data: topics.PaymentReceivedData) -> None:
    await use_cases.payment_received(conn, data.sale_id, data.kind, data.amount)


@HANDLERS.on(topics.SALE_CANCELLED)
async def on_sale_cancelled(conn: asyncpg.Connection, env: Envelope, data: topics.SaleCancelledData) -> None:
    await use_cases.sale_cancelled(conn, data.sale_id, data.reason)


@HANDLERS.on(topics.DEPOSIT_REFUNDED)
async def on_deposit_refunded(conn: asyncpg.Connection, env: Envelope, data: topics.DepositRefundedData) -> None:
    await use_cases.deposit_refunded(conn, data.unit_id, data.customer_id)


@HANDLERS.on(topics.PAYMENT_OVERDUE)
async def on_payment_overdue(conn: asyncpg.Connection, env: Envelope, data: topics.PaymentOverdueData) -> None:
    plan = overdue_notice(env.project_id or "", data.sale_id, str(data.amount), data.due_date, now_utc())
    await _schedule(conn, env, data, [plan], unit=False)


@HANDLERS.on(topics.CASH_NOT_BANKED)
async def on_cash_not_banked(conn: asyncpg.Connection, env: Envelope, data: topics.CashNotBankedData) -> None:
    """R24: cash not banked in time, told once in the app to the project's finance staff and managers."""
    deposit = {"deposit_id": data.deposit_id, "receipt_no": data.receipt_no, "amount": str(data.amount)}
    plans = cash_not_banked(env.project_id or "", deposit, data.banking_due_at, now_utc())
    await _schedule(conn, env, data, plans, unit=False)


@HANDLERS.on(topics.HANDOVER_COMPLETED)
async def on_handover_completed(conn: asyncpg.Connection, env: Envelope, data: topics.HandoverCompletedData) -> None:
    unit = data.unit or {}
    label = f"{unit.get('building', '')}-{unit.get('number', '')}".strip("-") or data.unit_id
    plan = congratulations(data.customer_id, label, now_utc())
    await _schedule(conn, env, data, [plan], unit=False)
    await webhook_cases.record_deliveries(conn, env, topics.HANDOVER_COMPLETED, data.unit_id)  # issue 12


async def _schedule(
    conn: asyncpg.Connection, env: Envelope, data: Any, plans: list[Planned], unit: bool = True
) -> None:
    """Store the reminders an event implies, tied to its customer and sale (and unit: a refund on the unit
    cancels them), once per event."""
    names = ("customer_id", "sale_id", "unit_id") if unit else ("customer_id", "sale_id")
    ids = {name: getattr(data, name, None) for name in names}
    await use_cases.schedule(conn, plans, project_id=env.project_id, source_event=str(env.id), **ids)


@HANDLERS.on(topics.CALLBACK_SCHEDULED)
async def on_callback_scheduled(conn: asyncpg.Connection, env: Envelope, data: topics.CallbackScheduledData) -> None:
    """R7: the consultant is reminded in the app at the call-back's time (out of quiet hours, R15). A call-back
    announced again (moved to a colleague at a departure, issue 21) replaces its earlier reminder."""
    await use_cases.callback_moved(conn, data.callback_id)
    plan = callback_reminder(data.callback_id, data.consultant_id, data.customer_id, data.due_at)
    await _schedule(conn, env, data, [plan], unit=False)


@HANDLERS.on(topics.CALLBACK_DONE)
async def on_callback_done(conn: asyncpg.Connection, env: Envelope, data: topics.CallbackDoneData) -> None:
    await use_cases.callback_done(conn, data.callback_id)


@HANDLERS.on(topics.REFERRAL_REWARDED)
async def on_referral_rewarded(conn: asyncpg.Connection, env: Envelope, data: topics.ReferralRewardedData) -> None:
    """R34: a message to each side of the referral (sent out of quiet hours)."""
    plans = referral_rewards(data.referrer_customer_id, data.customer_id, data.reward, now_utc())
    await _schedule(conn, env, data, plans, unit=False)


@HANDLERS.on(topics.OVERDUE_DIGEST)
async def on_overdue_digest(conn: asyncpg.Connection, env: Envelope, data: topics.OverdueDigestData) -> None:
    """R13: the morning digest, in the app of the project's managers."""
    plan = overdue_digest(data.project_id, data.day, data.overdue, data.consultants, now_utc())
    await _schedule(conn, env, data, [plan], unit=False)


@HANDLERS.on(topics.DAILY_REPORT)
async def on_daily_report(conn: asyncpg.Connection, env: Envelope, data: topics.DailyReportData) -> None:
    """Issue 22: an org unit's morning report (日报), in the app of its group managers, at once (08:30 is the
    report's own time: quiet hours do not hold it back)."""
    plan = daily_report(data.org_id, data.org_name, data.date, data.totals, now_utc())
    await use_cases.schedule(
        conn, [plan], project_id=None, customer_id=None, sale_id=None, source_event=str(env.id), org_id=data.org_id
    )


@HANDLERS.on(topics.OWNER_NEWS)
async def on_owner_news(conn: asyncpg.Connection, env: Envelope, data: topics.OwnerNewsData) -> None:
    """R33: news of the group's new project to an owner who consented, when leads says (the contact cap, R15)."""
    plan = project_news(data.customer_id, data.new_project_id, data.new_project_name, data.send_at)
    await _schedule(conn, env, data, [plan], unit=False)
