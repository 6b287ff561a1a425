"""Notifications use cases: schedule reminders (durably, idempotently), cancel what is done, dispatch the due."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from services.notifications import store
from services.notifications.channels import Channel
from services.notifications.domain import MAX_ATTEMPTS, Planned, retry_delay, send_time, settled
from shared.db.rows import json_view
from shared.http.auth import GROUP_MANAGER, Principal
from shared.kernel.clock import now_utc
from shared.kernel.defaults import DEFAULTS
from shared.kernel.errors import NotFound
from shared.trust import orgs, ownership

DEFAULT_CLOCK = (DEFAULTS.timezone, DEFAULTS.quiet_hours)  # until inventory's project-created arrives


async def project_clock(conn: asyncpg.Connection, project_id: str | None) -> tuple[str, str]:
    """(time zone, quiet hours) of a project."""
    row = await store.project_clock(conn, project_id)
    return (row["timezone"], row["quiet_hours"]) if row else DEFAULT_CLOCK


async def schedule(
    conn: asyncpg.Connection,
    plans: list[Planned],
    *,
    project_id: str | None,
    customer_id: str | None,
    sale_id: str | None,
    source_event: str,
    unit_id: str | None = None,
    org_id: str | None = None,
    now: datetime | None = None,
) -> int:
    """Store reminders; one already past is sent at once; none is sent in quiet hours (R15). What is already
    settled (a sale cancelled, a down payment paid: events of other topics may come first) is cancelled at once."""
    now = now or now_utc()
    tz, quiet = await project_clock(conn, project_id)
    ids = {"project_id": project_id, "customer_id": customer_id, "sale_id": sale_id, "unit_id": unit_id}
    ids["org_id"] = org_id  # issue 22: a message to an org unit's group managers
    created = 0
    for plan in plans:
        created += await store.insert_reminder(
            conn, plan, ids, source_event, send_time(plan.kind, max(plan.due_at, now), tz, quiet)
        )
    if await store.sale_cancelled(conn, sale_id):
        await store.cancel_reminders(conn, "sale_cancelled", sale_id=sale_id)
    return created


async def down_payment_due(conn: asyncpg.Connection, sale_id: str, amount: Decimal) -> None:
    """R28: remember what is due; a payment seen earlier may already settle it."""
    row = await store.down_payment(conn, sale_id, amount=amount)
    if settled(row["amount"], row["paid"]):
        await store.cancel_reminders(conn, "paid", sale_id=sale_id, kind="down_payment_due")


async def payment_received(conn: asyncpg.Connection, sale_id: str, kind: str, amount: Decimal) -> None:
    """R28: once the down payment is paid in full its reminders are cancelled."""
    if kind != "down_payment":
        return
    row = await store.down_payment(conn, sale_id, paid=amount)
    if settled(row["amount"], row["paid"]):
        await store.cancel_reminders(conn, "paid", sale_id=sale_id, kind="down_payment_due")


async def sale_cancelled(conn: asyncpg.Connection, sale_id: str, reason: str) -> None:
    """退订: nothing more is asked of the buyer for this sale, now or when a late event schedules it."""
    await store.remember_cancelled_sale(conn, sale_id, reason)
    await store.cancel_reminders(conn, "sale_cancelled", sale_id=sale_id)


async def deposit_refunded(conn: asyncpg.Connection, unit_id: str, customer_id: str) -> None:
    """The deposit is returned: the buyer's reminders about this unit stop."""
    await store.cancel_reminders(conn, "deposit_refunded", unit_id=unit_id, customer_id=customer_id)


async def appointment_moved(conn: asyncpg.Connection, sale_id: str, source_event: str) -> None:
    """R30: a new bank appointment replaces the old one's reminders."""
    await store.cancel_reminders(
        conn, "appointment_moved", sale_id=sale_id, kind="mortgage_appointment", except_source=source_event
    )


async def callback_done(conn: asyncpg.Connection, callback_id: str) -> None:
    """R7: a call-back that happened needs no more reminding."""
    await store.cancel_reminder_of(conn, "callback", callback_id, "callback_done")


async def callback_moved(conn: asyncpg.Connection, callback_id: str) -> None:
    """A call-back announced again (its consultant left): the reminder planned before is no longer theirs."""
    await store.cancel_reminder_of(conn, "callback", callback_id, "callback_moved")


async def next_reminder_due(conn: asyncpg.Connection) -> datetime | None:
    """When the dispatcher next has a reminder to send."""
    return await store.next_reminder_due(conn)


async def dispatch_due(
    conn: asyncpg.Connection, channels: dict[str, Channel], batch: int = 100, now: datetime | None = None
) -> int:
    """Send what is due, once (SKIP LOCKED); quiet hours checked again at send time (R15), failures backed off."""
    now = now or now_utc()
    sent = 0
    async with conn.transaction():
        for row in await store.due_reminders(conn, now, batch):
            later = send_time(row["kind"], now, row["tz"], row["quiet"])
            if later > now:  # a backlog or a retry that falls in quiet hours waits for their end
                await store.postpone(conn, row["id"], later)
                continue
            sent += await _send_one(conn, channels, row, now)
    return sent


async def _send_one(conn: asyncpg.Connection, channels: dict[str, Channel], row: asyncpg.Record, now: datetime) -> bool:
    try:
        outcome, error = await channels[row["channel"]].send(row["recipient"], row["body"]), None
    except Exception as exc:  # a channel failure: bounded retries with backoff, then failed
        outcome, error = "failed", repr(exc)[:300]
    attempts = row["attempts"] + 1
    if error is None:
        await store.mark_sent(conn, row["id"], attempts)
    else:
        await store.mark_failed_attempt(
            conn, row["id"], attempts, attempts >= MAX_ATTEMPTS, now + retry_delay(attempts)
        )
    await store.record_message(conn, row, outcome, error)
    return error is None


# -- what the API shows: limited to the caller's projects and, for a consultant, their own customers (R8) --


def _projects(who: Principal) -> list[uuid.UUID] | None:
    """None: every project (admin); otherwise the projects in the token."""
    if who.role == "admin":
        return None
    return [uuid.UUID(p) for p in who.projects if _is_uuid(p)]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


def _consultant(who: Principal) -> str | None:
    """The consultant whose view is narrowed to their own customers; None for staff who see the project."""
    return None if who.role in ownership.WHOLE_PROJECT_ROLES else who.sub


async def _check_customer(conn: asyncpg.Connection, who: Principal, customer_id: uuid.UUID | None) -> None:
    """Asked for one customer: another project's, or (for a consultant) a colleague's, is not found."""
    if customer_id is None:
        return
    project = await store.customer_project(conn, customer_id)
    if project is not None and not who.works_on(str(project)):
        raise NotFound("no such customer")
    await ownership.require_own_customer(conn, who, customer_id)


Keyed = tuple[tuple[str, str], dict[str, Any]]  # what a list shows of a row, after the key its next page starts at


async def reminders_page(
    conn: asyncpg.Connection,
    who: Principal,
    customer_id: uuid.UUID | None,
    sale_id: uuid.UUID | None,
    after: tuple[Any, Any] | None,
    limit: int,
) -> list[Keyed]:
    """Scheduled, sent and cancelled reminders in due order, as far as this person may see."""
    await _check_customer(conn, who, customer_id)
    seen = store.Seen(_projects(who), _consultant(who))
    rows = await store.reminders_page(conn, seen, (customer_id, sale_id), (after, limit))
    return [((row["due_at"].isoformat(), str(row["id"])), _reminder(row)) for row in rows]


async def notifications_page(
    conn: asyncpg.Connection, who: Principal, recipient: str | None, after: tuple[Any, Any] | None, limit: int
) -> list[Keyed]:
    """Messages sent, newest first, as far as this person may see (a group manager also the messages to the org
    units of their subtree: the morning report, issue 22)."""
    units = list(await orgs.subtree(conn, who.orgs)) if who.role == GROUP_MANAGER else []
    seen = store.Seen(_projects(who), _consultant(who), units)
    rows = await store.notifications_page(conn, seen, recipient, (after, limit))
    return [((row["at"].isoformat(), str(row["id"])), _message(row)) for row in rows]


_REMINDER = ("id", "kind", "customer_id", "sale_id", "recipient", "channel", "due_at", "send_at", "status", "body")


def _reminder(row: Any) -> dict[str, Any]:
    return json_view(row, *_REMINDER, offset="offset_label")


def _message(row: Any) -> dict[str, Any]:
    return json_view(row, "id", "recipient", "channel", "status", "body", "error", "at")
