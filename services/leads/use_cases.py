"""Leads use cases: customers, follow-ups, ownership, calls; events through the outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import (
    DomainError, Grade, InvalidInput, VISITOR_TYPES, check_followup, decide_registration, followup_due, mask_phone,
    normalise_phone, protected_until, rings_of,
)
from services.leads.pii import Vault
from shared import catalogue as topics
from shared.outbox import add_event

PRODUCER = "leads"


class NotFound(DomainError):
    code = "not_found"


@dataclass(frozen=True)
class RegisterCustomer:
    project_id: uuid.UUID
    consultant_id: str
    name: str
    phone: str | None = None
    source: str = "walk_in"
    visitor_type: str = "customer"
    profile: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    grade: str | None = None
    consent_share: bool = False
    referred_by: str | None = None


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


async def register_customer(conn: asyncpg.Connection, vault: Vault, cmd: RegisterCustomer,
                            now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """R3, R4, R6, R10: one customer per phone per project; a lapsed one passes to the registering consultant."""
    now = now or now_utc()
    _check_registration(cmd)
    phone = normalise_phone(cmd.phone) if cmd.phone else None
    phone_hash = vault.phone_hash(phone) if phone else None
    async with conn.transaction():
        days = await store.protection_days(conn, cmd.project_id)
        if phone_hash is not None:
            found = await store.customer_by_phone(conn, cmd.project_id, phone_hash, lock=True)
            if found is not None:
                return await _registered_again(conn, found, cmd.consultant_id, days, now), False
        row = _new_row(vault, cmd, phone, phone_hash, days, now)
        if not await store.insert_customer(conn, row):  # lost a race for the same phone
            raise RetryRegistration()
        await store.add_timeline(conn, row["id"], now, "registered", {"owner_id": cmd.consultant_id,
                                                                      "source": cmd.source})
        await add_event(conn, topics.CUSTOMER_REGISTERED, {
            "customer_id": str(row["id"]), "owner_id": cmd.consultant_id, "grade": cmd.grade,
            "next_contact_at": None, "visitor_type": cmd.visitor_type, "source": cmd.source},
            producer=PRODUCER, project_id=str(cmd.project_id))
    return {"id": str(row["id"]), "owner_id": cmd.consultant_id, "protected_until": row["protected_until"].isoformat(),
            "existing": False}, True


class RetryRegistration(Exception):
    """Two consultants registered the same new phone at once; the loser retries and finds the winner."""


def _check_registration(cmd: RegisterCustomer) -> None:
    if not cmd.name.strip():
        raise InvalidInput("a name or a description of the visitor is required (R6)", "name_required")
    if cmd.visitor_type not in VISITOR_TYPES:
        raise InvalidInput(f"visitor_type must be one of {', '.join(sorted(VISITOR_TYPES))}")
    if cmd.grade is not None and cmd.grade not in Grade.__members__:
        raise InvalidInput("grade must be A, B or C", "invalid_grade")


def _new_row(vault: Vault, cmd: RegisterCustomer, phone: str | None, phone_hash: bytes | None, days: int,
             now: datetime) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "project_id": cmd.project_id, "owner_id": cmd.consultant_id,
            "name_enc": vault.encrypt(cmd.name.strip()), "phone_enc": vault.encrypt(phone) if phone else None,
            "phone_hash": phone_hash, "phone_masked": mask_phone(phone) if phone else None, "source": cmd.source,
            "visitor_type": cmd.visitor_type, "profile": cmd.profile, "tags": list(cmd.tags), "grade": cmd.grade,
            "consent_share": cmd.consent_share, "referred_by": cmd.referred_by, "now": now,
            "protected_until": protected_until(now, days), "next_contact_at": None}


async def _registered_again(conn: asyncpg.Connection, found: asyncpg.Record, consultant: str, days: int,
                            now: datetime) -> dict[str, Any]:
    decision = decide_registration(found["owner_id"], found["protected_until"], consultant, now)
    until = found["protected_until"]
    if decision.outcome == "transferred":
        until = protected_until(now, days)
        await store.touch(conn, found["id"], now, until, owner=consultant)
        await store.record_owner_change(conn, found["id"], found["owner_id"], consultant, "lapsed_reregistration",
                                        "protection period lapsed (R10)", consultant)
        await store.add_timeline(conn, found["id"], now, "owner_changed", {"from": found["owner_id"], "to": consultant,
                                                                          "reason": "protection lapsed"})
    return {"id": str(found["id"]), "owner_id": decision.owner_id, "protected_until": until.isoformat(),
            "existing": True}


async def record_followup(conn: asyncpg.Connection, vault: Vault, customer_id: uuid.UUID, consultant: str,
                          channel: str, content: str, next_contact_at: datetime, feedback: dict | None,
                          now: datetime | None = None) -> dict[str, Any]:
    """R8, R10, R14: the owner records what was said; protection renews from this touch."""
    now = now or now_utc()
    check_followup(channel, content, next_contact_at, now)
    async with conn.transaction():
        row = await store.customer(conn, customer_id, lock=True)
        if row is None or row["owner_id"] != consultant:
            raise NotFound("no such customer of yours")
        until = protected_until(now, await store.protection_days(conn, row["project_id"]))
        followup_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO followups (id, customer_id, consultant_id, channel, content_enc, feedback, next_contact_at, at)"
            " VALUES ($1,$2,$3,$4,$5,$6::jsonb,$7,$8)", followup_id, customer_id, consultant, channel,
            vault.encrypt(content), None if feedback is None else _json(feedback), next_contact_at, now)
        await store.touch(conn, customer_id, now, until, next_contact=next_contact_at)
        await store.add_timeline(conn, customer_id, now, "followup", {"channel": channel, "by": consultant})
        await add_event(conn, topics.FOLLOWUP_RECORDED, {
            "customer_id": str(customer_id), "followup_id": str(followup_id), "owner_id": consultant,
            "next_contact_at": next_contact_at, "channel": channel}, producer=PRODUCER,
            project_id=str(row["project_id"]))
    return {"id": str(followup_id), "customer_id": str(customer_id), "protected_until": until.isoformat(),
            "next_contact_at": next_contact_at.isoformat()}


def _json(value: Any) -> str:
    import orjson

    return orjson.dumps(value).decode()


async def set_grade(conn: asyncpg.Connection, customer_id: uuid.UUID, grade: str) -> dict[str, Any]:
    """R12, R13: the grade moves as the customer does, and the cadence follows it."""
    if grade not in Grade.__members__:
        raise InvalidInput("grade must be A, B or C", "invalid_grade")
    row = await conn.fetchrow("UPDATE customers SET grade = $2 WHERE id = $1 RETURNING last_touch_at", customer_id,
                              grade)
    due = followup_due(row["last_touch_at"], Grade(grade))
    return {"id": str(customer_id), "grade": grade, "followup_due_at": due.isoformat()}


async def assign(conn: asyncpg.Connection, customer_id: uuid.UUID, to: str, reason: str, manager: str,
                 now: datetime | None = None) -> dict[str, Any]:
    """R9: the manager decides who owns a disputed customer, and why; recorded."""
    now = now or now_utc()
    if not reason.strip() or not to.strip():
        raise InvalidInput("consultant_id and reason are required (R9)", "reason_required")
    async with conn.transaction():
        row = await store.customer(conn, customer_id, lock=True)
        until = protected_until(now, await store.protection_days(conn, row["project_id"]))
        await store.touch(conn, customer_id, now, until, owner=to)
        await store.record_owner_change(conn, customer_id, row["owner_id"], to, "manager_assignment", reason, manager)
        await store.add_timeline(conn, customer_id, now, "owner_changed",
                                 {"from": row["owner_id"], "to": to, "reason": reason, "decided_by": manager})
    return {"id": str(customer_id), "owner_id": to, "protected_until": until.isoformat()}


async def log_call(conn: asyncpg.Connection, vault: Vault, project_id: uuid.UUID, consultant: str,
                   body: dict[str, Any]) -> dict[str, Any]:
    """R1, R3: every call logged with its ring time; a caller who leaves name and number is registered at once."""
    rang_at, answered_at = body["rang_at"], body.get("answered_at")
    rings = body.get("rings") or (rings_of((answered_at - rang_at).total_seconds()) if answered_at else None)
    phone = normalise_phone(body["caller_phone"]) if body.get("caller_phone") else None
    customer_id = None
    if phone and body.get("caller_name"):
        registered, _ = await register_customer(conn, vault, RegisterCustomer(
            project_id, consultant, body["caller_name"], phone, source="phone_call"))
        customer_id = uuid.UUID(registered["id"])
    call_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO calls (id, project_id, consultant_id, rang_at, answered_at, rings, caller_masked, asked, customer_id)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)", call_id, project_id, consultant, rang_at, answered_at, rings,
        mask_phone(phone) if phone else None, body.get("asked"), customer_id)
    return {"id": str(call_id), "rings": rings, "customer_id": str(customer_id) if customer_id else None}


async def call_stats(conn: asyncpg.Connection, project_id: uuid.UUID, day: str) -> dict[str, Any]:
    """R2: the day's inbound calls per project and per consultant, with the within-3-rings rate (R1)."""
    tz = await conn.fetchval("SELECT timezone FROM projects WHERE project_id = $1", project_id) or "Asia/Shanghai"
    rows = await conn.fetch(
        "SELECT consultant_id, count(*) AS calls, count(*) FILTER (WHERE answered_at IS NOT NULL) AS answered,"
        " count(*) FILTER (WHERE rings <= 3) AS within_3_rings FROM calls WHERE project_id = $1"
        " AND (rang_at AT TIME ZONE $2)::date = $3::date GROUP BY consultant_id ORDER BY consultant_id",
        project_id, tz, datetime.fromisoformat(day).date())
    total = sum(r["calls"] for r in rows)
    within = sum(r["within_3_rings"] for r in rows)
    return {"project_id": str(project_id), "date": day, "calls": total, "within_3_rings": within,
            "within_3_rings_rate": round(within / total, 4) if total else None,
            "by_consultant": [dict(r) for r in rows]}
