"""Leads use cases for a customer already registered: follow-ups (R8, R10, R14, R16), grades (R12, R13), the
manager's ownership decision (R9), and sealing rows stored in plain before encryption (R18)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import Grade, check_assignment, check_followup, followup_due, needs_of, protected_until
from services.leads.use_cases.access import own_customer, visible_customer
from services.leads.use_cases.report_facts import count_event
from services.leads.use_cases.standard import before_a_contact
from shared.http.auth import Principal
from shared.kernel.clock import now_utc
from shared.kernel.errors import DomainError, NotFound
from shared.messaging import topics
from shared.messaging.envelope import Envelope
from shared.messaging.outbox import add_event
from shared.messaging.topics import Topic
from shared.runtime.logs import log
from shared.trust.pii import Vault, seal_text

_OWNERSHIP_EVENT_REASON = {
    "lapsed_reregistration": "lapse",
    "manager_assignment": "assign",
    "claim_decision": "claim",
    "departure_handover": "handover",  # v1.2: moved in a batch by use_cases.departures, named here for the record
}


@dataclass(frozen=True)
class RecordFollowup:
    """What a consultant says happened when they contacted their customer (R8, R14, R16, R17)."""

    customer_id: uuid.UUID
    consultant_id: str
    channel: str
    content: str
    next_contact_at: datetime
    feedback: dict[str, Any] | None = None


async def record_own_followup(
    conn: asyncpg.Connection, vault: Vault, cmd: RecordFollowup, who: Principal
) -> dict[str, Any]:
    """R8: a consultant records a follow-up with a customer of their own (another project's: 403; a colleague's
    customer: 404)."""
    await own_customer(conn, cmd.customer_id, who)
    return await record_followup(conn, vault, cmd)


async def record_followup(
    conn: asyncpg.Connection, vault: Vault, cmd: RecordFollowup, now: datetime | None = None
) -> dict[str, Any]:
    """R8, R10, R14, R16: the owner records what was said; protection renews from this touch."""
    now = now or now_utc()
    check_followup(cmd.channel, cmd.content, cmd.next_contact_at, now)
    async with conn.transaction():
        row = await _locked(conn, cmd.customer_id, owner=cmd.consultant_id)
        await before_a_contact(conn, row, cmd.next_contact_at, now)
        until = protected_until(now, await store.protection_days(conn, row["project_id"]))
        followup_id = uuid.uuid4()
        feedback = None if cmd.feedback is None else vault.encrypt_json(cmd.feedback)
        said_by = (cmd.customer_id, cmd.consultant_id, cmd.channel, vault.encrypt(cmd.content))
        await store.insert_followup(conn, followup_id, *said_by, feedback, cmd.next_contact_at, now)
        await store.touch(conn, cmd.customer_id, now, until, next_contact=cmd.next_contact_at)
        said = {"channel": cmd.channel, "next_contact_at": cmd.next_contact_at}
        await store.add_timeline(conn, cmd.customer_id, now, "followup", said | {"by": cmd.consultant_id})
        data = said | {"followup_id": str(followup_id), "protected_until": until}
        env = await _customer_event(conn, topics.FOLLOWUP_RECORDED, row, data)
        await count_event(conn, env, now)  # issue 22: a visit (channel `visit`) in the group's reports
    answer = {"id": str(followup_id), "customer_id": str(cmd.customer_id), "protected_until": until.isoformat()}
    return answer | {"next_contact_at": cmd.next_contact_at.isoformat()}


async def _locked(conn: asyncpg.Connection, customer_id: uuid.UUID, owner: str | None = None) -> asyncpg.Record:
    """The customer, locked for the change; not found unless `owner` (when named) owns them (R8)."""
    row = await store.customer(conn, customer_id, lock=True)
    if row is None or (owner is not None and row["owner_id"] != owner):
        raise NotFound("no such customer of yours" if owner else "no such customer")
    return row


async def _customer_event(
    conn: asyncpg.Connection, topic: Topic, row: asyncpg.Record, data: dict[str, Any]
) -> Envelope:
    """A customer's event: the customer, owner and grade (ids and codes only, R18), then the step's fields."""
    ids = {"customer_id": str(row["id"]), "owner_id": row["owner_id"], "grade": row["grade"]}
    return await add_event(conn, topic, ids | data, project_id=str(row["project_id"]))


async def set_grade(
    conn: asyncpg.Connection, customer_id: uuid.UUID, grade: str, who: Principal, now: datetime | None = None
) -> dict[str, Any]:
    """R12, R13: the owner or the manager moves the grade as the customer does; the follow-up cadence follows."""
    await visible_customer(conn, customer_id, who)
    now, by = now or now_utc(), who.sub
    if grade not in Grade.__members__:
        raise DomainError("grade must be A, B or C", "invalid_grade")
    async with conn.transaction():
        row = await _locked(conn, customer_id)
        await store.set_grade(conn, customer_id, grade)
        if row["grade"] != grade:
            detail = {"from": row["grade"], "to": grade, "by": by}
            await store.add_timeline(conn, customer_id, now, "grade_changed", detail)
    due = followup_due(row["last_touch_at"], Grade(grade), row["next_contact_at"])
    return {
        "id": str(customer_id),
        "grade": grade,
        "previous_grade": row["grade"],
        "followup_due_at": due.isoformat() if due else None,
    }


async def assign(
    conn: asyncpg.Connection, customer_id: uuid.UUID, to: str, reason: str, who: Principal, now: datetime | None = None
) -> dict[str, Any]:
    """R9: the manager decides who owns a disputed customer, and why; the decision is recorded."""
    await visible_customer(conn, customer_id, who)
    now, manager = now or now_utc(), who.sub
    async with conn.transaction():
        row = await _locked(conn, customer_id)
        check_assignment(row["owner_id"], to, reason)
        until = protected_until(now, await store.protection_days(conn, row["project_id"]))
        await change_owner(conn, row, to, "manager_assignment", reason, manager, now, until)
    log("customer_assigned", customer_id=str(customer_id), from_owner=row["owner_id"], to_owner=to, by=manager)
    return {
        "id": str(customer_id),
        "owner_id": to,
        "previous_owner_id": row["owner_id"],
        "reason": reason,
        "decided_by": manager,
        "protected_until": until.isoformat(),
    }


async def change_owner(
    conn: asyncpg.Connection,
    row: asyncpg.Record,
    to: str,
    kind: str,
    reason: str,
    decided_by: str,
    now: datetime,
    until: datetime,
) -> None:
    """The one way a customer changes hands (R9, R10): a new protection period, the change kept with who and
    why, a timeline line, and ownership-changed so other services follow at once (R8)."""
    await store.touch(conn, row["id"], now, until, owner=to)
    change = {"customer_id": row["id"], "from_owner": row["owner_id"], "to_owner": to, "kind": kind}
    sealed = {"reason_enc": seal_text(reason) if reason else None}  # R18: free text about the customer
    await store.record_owner_change(conn, change | sealed | {"decided_by": decided_by, "at": now})
    detail = {"from": row["owner_id"], "to": to, "kind": kind}
    if kind in ("manager_assignment", "claim_decision"):
        detail["decided_by"] = decided_by
    await store.add_timeline(conn, row["id"], now, "owner_changed", detail)
    ids = {"customer_id": str(row["id"]), "project_id": str(row["project_id"])}
    moved = {"from_consultant_id": row["owner_id"], "to_consultant_id": to, "reason": _OWNERSHIP_EVENT_REASON[kind]}
    await add_event(conn, topics.OWNERSHIP_CHANGED, ids | moved, project_id=str(row["project_id"]))


async def seal_legacy_pii(conn: asyncpg.Connection, vault: Vault, batch: int = 200) -> int:
    """R18: encrypt what older releases stored in plain (profiles and follow-up feedback before migration 002, tags,
    call notes, claims' and ownership changes' reasons before 011); returns rows sealed."""
    sealed = 0
    async with conn.transaction():
        for what, seal in (
            ("profiles", vault.encrypt_json),
            ("feedback", vault.encrypt_json),
            ("tags", lambda tags: vault.encrypt_json(list(tags))),
            ("call_notes", vault.encrypt),
        ):
            for row in await store.plain_rows(conn, what, batch):
                await store.seal_row(conn, what, row["id"], seal(row[1]))
                sealed += 1
        for row in await store.plain_claim_reasons(conn, batch):  # migration 011
            reasons = [vault.encrypt(r) if r else None for r in (row["reason"], row["decision_reason"])]
            await store.seal_claim_reasons(conn, row["id"], *reasons)
            sealed += 1
        for row in await store.plain_rows(conn, "owner_reasons", batch):
            await store.seal_row(conn, "owner_reasons", row["id"], vault.encrypt(row["reason"]))
            sealed += 1
    return sealed + await count_needs(conn, vault, None, batch)


async def count_needs(conn: asyncpg.Connection, vault: Vault, project_id: uuid.UUID | None, batch: int = 200) -> int:
    """R11: customers whose needs are not in the weekly review's counts under their registration time (rows from
    before migration 012, or moved by hand) are counted, a batch at a time; returns how many."""
    async with conn.transaction():
        rows = await store.needs_to_count(conn, project_id, batch)
        for row in rows:
            profile = vault.decrypt_json(row["profile_enc"], {}) if row["profile_enc"] is not None else row["profile"]
            needs = needs_of(profile)
            if row["needs_counted_at"] is not None:
                await store.count_needs(
                    conn, row["project_id"], row["needs_counted_at"], {n: -c for n, c in needs.items()}
                )
            await store.count_needs(conn, row["project_id"], row["registered_at"], needs)
            await store.mark_needs_counted(conn, row["id"], row["registered_at"])
    return len(rows)
