"""Leads use cases for call-backs (R7, 回电): the owner plans one with a purpose (out of quiet hours, R15); the
consultant is reminded through notifications; done, it is a follow-up with the next contact (R14)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import check_callback, local_day_span
from services.leads.use_cases.customers import RecordFollowup, record_followup
from shared.http.auth import Principal
from shared.kernel.clock import now_utc
from shared.kernel.errors import Conflict, NotFound, found
from shared.messaging import topics
from shared.messaging.outbox import add_event
from shared.trust.ownership import WHOLE_PROJECT_ROLES
from shared.trust.pii import Vault


async def plan_callback(
    conn: asyncpg.Connection, vault: Vault, row: asyncpg.Record, due_at: datetime, purpose: str, by: str
) -> dict[str, Any]:
    """R7: the owner plans a call-back; "busy" is one at the time the customer named (R15: not at night)."""
    rules = await store.project_rules(conn, row["project_id"])
    check_callback(due_at, now_utc(), rules.timezone, rules.quiet_hours)
    callback = {
        "id": uuid.uuid4(),
        "project_id": row["project_id"],
        "customer_id": row["id"],
        "consultant_id": by,
        "due_at": due_at,
        "purpose_enc": vault.encrypt(purpose),
        "scheduled_at": now_utc(),
    }
    async with conn.transaction():
        await store.plan_callback(conn, callback)
        data = {"callback_id": str(callback["id"]), "customer_id": str(row["id"]), "consultant_id": by}
        await add_event(conn, topics.CALLBACK_SCHEDULED, data | {"due_at": due_at}, project_id=str(row["project_id"]))
    return {"id": str(callback["id"]), "due_at": due_at.isoformat(), "status": "scheduled"}


async def callback_done(
    conn: asyncpg.Connection,
    vault: Vault,
    callback_id: uuid.UUID,
    outcome: str,
    next_contact_at: datetime,
    who: Principal,
) -> dict[str, Any]:
    """R7, R14: the call-back happened: what was said is a follow-up with the next contact; the reminder ends."""
    async with conn.transaction():
        callback = found(await store.callback(conn, callback_id, lock=True), "no such call-back")
        who.require_project(str(callback["project_id"]))
        if callback["consultant_id"] != who.sub:
            raise NotFound("no such call-back of yours")  # R8: a colleague's call-back is not yours to see
        if callback["status"] != "scheduled":
            raise Conflict("this call-back is done already", "callback_done")
        cmd = RecordFollowup(callback["customer_id"], who.sub, "phone", outcome, next_contact_at)
        followed = await record_followup(conn, vault, cmd)
        await store.mark_callback_done(conn, callback_id, uuid.UUID(followed["id"]), now_utc())
        data = {"callback_id": str(callback_id), "customer_id": str(callback["customer_id"])}
        await add_event(conn, topics.CALLBACK_DONE, data, project_id=str(callback["project_id"]))
    return {"id": str(callback_id), "status": "done", "followup": followed}


async def callbacks_due(
    conn: asyncpg.Connection, project_id: uuid.UUID, due: str, who: Principal, window: tuple[Any, int]
) -> list[dict[str, Any]]:
    """Scheduled call-backs due today (the project's local day) or overdue (before now); a consultant's own."""
    rules = await store.project_rules(conn, project_id)
    now = now_utc()
    today = local_day_span(now, rules.timezone)
    between = today if due == "today" else (datetime.min.replace(tzinfo=now.tzinfo), now)
    consultant = None if who.role in WHOLE_PROJECT_ROLES else who.sub
    rows = await store.callbacks_page(conn, project_id, consultant, between, window)
    return [
        {
            "id": str(r["id"]),
            "customer_id": str(r["customer_id"]),
            "consultant_id": r["consultant_id"],
            "due_at": r["due_at"].isoformat(),
            "status": r["status"],
        }
        for r in rows
    ]
