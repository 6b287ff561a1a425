"""Notifications use cases: schedule reminders (durably, idempotently) and dispatch the due ones."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from typing import Any

import asyncpg

from services.notifications.channels import Channel
from services.notifications.domain import Planned, out_of_quiet_hours

MAX_ATTEMPTS = 3


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


async def project_clock(conn: asyncpg.Connection, project_id: str | None) -> tuple[str, str]:
    """(time zone, quiet hours) of a project; the defaults until inventory's project event arrives."""
    row = await conn.fetchrow("SELECT timezone, quiet_hours FROM projects WHERE project_id = $1",
                              uuid.UUID(project_id)) if project_id else None
    return (row["timezone"], row["quiet_hours"]) if row else ("Asia/Shanghai", "21:00-09:00")


async def schedule(conn: asyncpg.Connection, plans: list[Planned], *, project_id: str | None, customer_id: str | None,
                   sale_id: str | None, source_event: str, now: datetime | None = None) -> int:
    """Store reminders; one already past is sent at once; none is sent in quiet hours (R15)."""
    now = now or now_utc()
    tz, quiet = await project_clock(conn, project_id)
    created = 0
    for plan in plans:
        send_at = out_of_quiet_hours(max(plan.due_at, now), tz, quiet)
        status = await conn.execute(
            "INSERT INTO reminders (id, project_id, customer_id, sale_id, kind, offset_label, source_event, recipient,"
            " channel, body, due_at, send_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)"
            " ON CONFLICT (source_event, kind, offset_label) DO NOTHING", uuid.uuid4(),
            uuid.UUID(project_id) if project_id else None, uuid.UUID(customer_id) if customer_id else None,
            uuid.UUID(sale_id) if sale_id else None, plan.kind, plan.offset, source_event, plan.recipient,
            plan.channel, plan.body, plan.due_at, send_at)
        created += status.endswith("1")
    return created


async def dispatch_due(conn: asyncpg.Connection, channels: dict[str, Channel], batch: int = 100,
                       now: datetime | None = None) -> int:
    """Send what is due, once: rows are locked with SKIP LOCKED so two dispatchers never take the same one."""
    now = now or now_utc()
    async with conn.transaction():
        due = await conn.fetch("SELECT * FROM reminders WHERE status = 'scheduled' AND send_at <= $1 ORDER BY send_at"
                               " LIMIT $2 FOR UPDATE SKIP LOCKED", now, batch)
        sent = [await _send_one(conn, channels, row) for row in due]
    return sum(sent)  # failures wait for the next round rather than being retried at once


async def _send_one(conn: asyncpg.Connection, channels: dict[str, Channel], row: asyncpg.Record) -> bool:
    try:
        outcome, error = await channels[row["channel"]].send(row["recipient"], row["body"]), None
    except Exception as exc:  # a channel failure: bounded retries, then failed
        outcome, error = "failed", repr(exc)[:300]
    attempts = row["attempts"] + 1
    if error is None:
        await conn.execute("UPDATE reminders SET status = 'sent', attempts = $2, sent_at = now() WHERE id = $1",
                           row["id"], attempts)
    else:
        await conn.execute("UPDATE reminders SET attempts = $2, status = CASE WHEN $2 >= $3 THEN 'failed'"
                           " ELSE 'scheduled' END WHERE id = $1", row["id"], attempts, MAX_ATTEMPTS)
    await conn.execute("INSERT INTO notifications (id, reminder_id, project_id, recipient, channel, body, status, error)"
                       " VALUES ($1,$2,$3,$4,$5,$6,$7,$8)", uuid.uuid4(), row["id"], row["project_id"],
                       row["recipient"], row["channel"], row["body"], outcome, error)
    return error is None


def reminder_json(row: asyncpg.Record) -> dict[str, Any]:
    return {"id": str(row["id"]), "kind": row["kind"], "offset": row["offset_label"],
            "customer_id": str(row["customer_id"]) if row["customer_id"] else None,
            "sale_id": str(row["sale_id"]) if row["sale_id"] else None, "recipient": row["recipient"],
            "channel": row["channel"], "due_at": row["due_at"].isoformat(), "send_at": row["send_at"].isoformat(),
            "status": row["status"], "body": row["body"]}
