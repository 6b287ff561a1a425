"""Leads use cases: customers, follow-ups, grades, ownership, calls; events through the outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import asyncpg
import orjson

from services.leads import store
from services.leads.domain import (
    RING_TARGET, DomainError, Grade, check_assignment, check_call, check_followup, check_registration,
    decide_registration, followup_due, is_key_visitor, mask_phone, normalise_phone, protected_until, rings_of,
)
from shared.pii import Vault
from shared import catalogue as topics
from shared.logs import log
from shared.outbox import add_event

PRODUCER = "leads"
REGISTRATION_ATTEMPTS = 3


class NotFound(DomainError):
    code = "not_found"


class RegistrationBusy(DomainError):
    """The same phone kept being registered by others while we tried; the caller may retry."""

    code = "registration_busy"


class CustomerProtected(DomainError):
    """R4, R10: the phone belongs to another consultant's protected customer: who and until when, never the id."""

    code = "customer_protected"
    status = 409

    def __init__(self, owner_name: str | None, until: datetime) -> None:
        super().__init__("this customer is protected for another consultant (R10)")
        self.owner_name, self.protected_until = owner_name, until

    def extra(self) -> dict[str, Any]:
        """Who and until when (contract v1.1), never the customer's id."""
        return {"owner_name": self.owner_name, "protected_until": self.protected_until.isoformat()}


class _LostRace(Exception):
    """Another consultant inserted the same new phone first; look again and find theirs."""


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
    """R3–R6, R10: one customer per phone per project; a lapsed one passes to the registering consultant."""
    now = now or now_utc()
    check_registration(cmd.name, cmd.visitor_type, cmd.grade)
    phone = normalise_phone(cmd.phone) if cmd.phone else None
    for _ in range(REGISTRATION_ATTEMPTS):
        try:
            return await _register_once(conn, vault, cmd, phone, now)
        except _LostRace:
            continue
    raise RegistrationBusy("this phone is being registered by someone else right now; try again")


async def _register_once(conn: asyncpg.Connection, vault: Vault, cmd: RegisterCustomer, phone: str | None,
                         now: datetime) -> tuple[dict[str, Any], bool]:
    phone_hash = vault.phone_hash(phone) if phone else None
    async with conn.transaction():
        days = await store.protection_days(conn, cmd.project_id)
        if phone_hash is not None:
            found = await store.customer_by_phone(conn, cmd.project_id, phone_hash, lock=True)
            if found is not None:
                return await _registered_again(conn, found, cmd.consultant_id, days, now), False
        row = _new_row(vault, cmd, phone, phone_hash, days, now)
        if not await store.insert_customer(conn, row):
            raise _LostRace()
        await store.add_timeline(conn, row["id"], now, "registered", {
            "owner_id": cmd.consultant_id, "source": cmd.source, "visitor_type": cmd.visitor_type})
        grade = Grade(cmd.grade) if cmd.grade else None
        await add_event(conn, topics.CUSTOMER_REGISTERED, {
            "customer_id": str(row["id"]), "owner_id": cmd.consultant_id, "grade": cmd.grade,
            "next_contact_at": followup_due(now, grade), "visitor_type": cmd.visitor_type,
            "key_visitor": is_key_visitor(cmd.visitor_type), "source": cmd.source,
            "protected_until": row["protected_until"]}, producer=PRODUCER, project_id=str(cmd.project_id))
    log("customer_registered", customer_id=str(row["id"]), project_id=str(cmd.project_id), owner=cmd.consultant_id)
    return {"id": str(row["id"]), "owner_id": cmd.consultant_id,
            "protected_until": row["protected_until"].isoformat(), "existing": False}, True


def _new_row(vault: Vault, cmd: RegisterCustomer, phone: str | None, phone_hash: bytes | None, days: int,
             now: datetime) -> dict[str, Any]:
    return {"id": uuid.uuid4(), "project_id": cmd.project_id, "owner_id": cmd.consultant_id,
            "name_enc": vault.encrypt(cmd.name.strip()), "phone_enc": vault.encrypt(phone) if phone else None,
            "phone_hash": phone_hash, "phone_masked": mask_phone(phone) if phone else None, "source": cmd.source,
            "visitor_type": cmd.visitor_type, "profile_enc": vault.encrypt_json(cmd.profile),
            "tags_enc": vault.encrypt_json(list(cmd.tags)),
            "grade": cmd.grade, "consent_share": cmd.consent_share, "referred_by": cmd.referred_by, "now": now,
            "protected_until": protected_until(now, days), "next_contact_at": None}


async def _registered_again(conn: asyncpg.Connection, found: asyncpg.Record, consultant: str, days: int,
                            now: datetime) -> dict[str, Any]:
    """R4: the existing customer; R10: one whose protection lapsed passes to this consultant, recorded."""
    decision = decide_registration(found["owner_id"], found["protected_until"], consultant, now)
    until = found["protected_until"]
    if decision.owner_id != consultant:
        raise CustomerProtected(await store.staff_name(conn, found["owner_id"]), until)
    if decision.outcome == "transferred":
        until = protected_until(now, days)
        await store.touch(conn, found["id"], now, until, owner=consultant)
        await store.record_owner_change(conn, found["id"], found["owner_id"], consultant, "lapsed_reregistration",
                                        "protection period lapsed (R10)", consultant, now)
        await store.add_timeline(conn, found["id"], now, "owner_changed", {
            "from": found["owner_id"], "to": consultant, "reason": "protection lapsed (R10)"})
        await _ownership_changed(conn, found, consultant, "lapse")
        log("customer_passed_on", customer_id=str(found["id"]), from_owner=found["owner_id"], to_owner=consultant)
    return {"id": str(found["id"]), "owner_id": decision.owner_id, "protected_until": until.isoformat(),
            "existing": True}


async def record_followup(conn: asyncpg.Connection, vault: Vault, customer_id: uuid.UUID, consultant: str,
                          channel: str, content: str, next_contact_at: datetime, feedback: dict | None,
                          now: datetime | None = None) -> dict[str, Any]:
    """R8, R10, R14, R16: the owner records what was said; protection renews from this touch."""
    now = now or now_utc()
    check_followup(channel, content, next_contact_at, now)
    async with conn.transaction():
        row = await store.customer(conn, customer_id, lock=True)
        if row is None or row["owner_id"] != consultant:
            raise NotFound("no such customer of yours")
        until = protected_until(now, await store.protection_days(conn, row["project_id"]))
        followup_id = uuid.uuid4()
        await store.insert_followup(conn, followup_id, customer_id, consultant, channel, vault.encrypt(content),
                                    None if feedback is None else vault.encrypt_json(feedback), next_contact_at, now)
        await store.touch(conn, customer_id, now, until, next_contact=next_contact_at)
        await store.add_timeline(conn, customer_id, now, "followup", {
            "channel": channel, "by": consultant, "next_contact_at": next_contact_at})
        await add_event(conn, topics.FOLLOWUP_RECORDED, {
            "customer_id": str(customer_id), "followup_id": str(followup_id), "owner_id": consultant,
            "next_contact_at": next_contact_at, "channel": channel, "grade": row["grade"],
            "protected_until": until}, producer=PRODUCER, project_id=str(row["project_id"]))
    return {"id": str(followup_id), "customer_id": str(customer_id), "protected_until": until.isoformat(),
            "next_contact_at": next_contact_at.isoformat()}


async def set_grade(conn: asyncpg.Connection, customer_id: uuid.UUID, grade: str, by: str,
                    now: datetime | None = None) -> dict[str, Any]:
    """R12, R13: the grade moves as the customer does, and the follow-up cadence follows it."""
    now = now or now_utc()
    if grade not in Grade.__members__:
        raise DomainError("grade must be A, B or C", "invalid_grade")
    async with conn.transaction():
        row = await store.customer(conn, customer_id, lock=True)
        if row is None:
            raise NotFound("no such customer")
        await store.set_grade(conn, customer_id, grade)
        if row["grade"] != grade:
            await store.add_timeline(conn, customer_id, now, "grade_changed",
                                     {"from": row["grade"], "to": grade, "by": by})
    due = followup_due(row["last_touch_at"], Grade(grade), row["next_contact_at"])
    return {"id": str(customer_id), "grade": grade, "previous_grade": row["grade"],
            "followup_due_at": due.isoformat() if due else None}


async def assign(conn: asyncpg.Connection, customer_id: uuid.UUID, to: str, reason: str, manager: str,
                 now: datetime | None = None) -> dict[str, Any]:
    """R9: the manager decides who owns a disputed customer, and why; the decision is recorded."""
    now = now or now_utc()
    async with conn.transaction():
        row = await store.customer(conn, customer_id, lock=True)
        if row is None:
            raise NotFound("no such customer")
        check_assignment(row["owner_id"], to, reason)
        until = protected_until(now, await store.protection_days(conn, row["project_id"]))
        await store.touch(conn, customer_id, now, until, owner=to)
        await store.record_owner_change(conn, customer_id, row["owner_id"], to, "manager_assignment", reason, manager,
                                        now)
        await store.add_timeline(conn, customer_id, now, "owner_changed",
                                 {"from": row["owner_id"], "to": to, "reason": reason, "decided_by": manager})
        await _ownership_changed(conn, row, to, "assign")
    log("customer_assigned", customer_id=str(customer_id), from_owner=row["owner_id"], to_owner=to, by=manager)
    return {"id": str(customer_id), "owner_id": to, "previous_owner_id": row["owner_id"], "reason": reason,
            "decided_by": manager, "protected_until": until.isoformat()}


async def _ownership_changed(conn: asyncpg.Connection, row: asyncpg.Record, to: str, reason: str) -> None:
    """R8, R9: other services keep who owns whom from this event (claim, assign or lapse)."""
    await add_event(conn, topics.OWNERSHIP_CHANGED, {
        "customer_id": str(row["id"]), "project_id": str(row["project_id"]), "from_consultant_id": row["owner_id"],
        "to_consultant_id": to, "reason": reason}, producer=PRODUCER, project_id=str(row["project_id"]))


@dataclass(frozen=True)
class LogCall:
    project_id: uuid.UUID
    consultant_id: str
    rang_at: datetime
    answered_at: datetime | None = None
    rings: int | None = None
    caller_phone: str | None = None
    caller_name: str | None = None
    asked: str | None = None


async def log_call(conn: asyncpg.Connection, vault: Vault, cmd: LogCall) -> dict[str, Any]:
    """R1, R3: every call logged with its ring time; a caller who leaves name and number is registered at once."""
    check_call(cmd.rang_at, cmd.answered_at)
    seconds = (cmd.answered_at - cmd.rang_at).total_seconds() if cmd.answered_at else None
    rings = cmd.rings or (rings_of(seconds) if seconds is not None else None)
    phone = normalise_phone(cmd.caller_phone) if cmd.caller_phone else None
    async with conn.transaction():
        customer_id, owner = await _caller(conn, vault, cmd, phone)
        row = {"id": uuid.uuid4(), "project_id": cmd.project_id, "consultant_id": cmd.consultant_id,
               "rang_at": cmd.rang_at, "answered_at": cmd.answered_at, "rings": rings,
               "caller_masked": mask_phone(phone) if phone else None,
               "asked_enc": vault.encrypt(cmd.asked) if cmd.asked else None, "customer_id": customer_id}
        await store.insert_call(conn, row)
    shown = customer_id if owner == cmd.consultant_id else None  # R8: a colleague's customer's id is not told
    return {"id": str(row["id"]), "rings": rings, "answer_seconds": seconds,
            "within_3_rings": rings is not None and cmd.answered_at is not None and rings <= RING_TARGET,
            "customer_id": str(shown) if shown else None}


async def _caller(conn: asyncpg.Connection, vault: Vault, cmd: LogCall,
                  phone: str | None) -> tuple[uuid.UUID | None, str | None]:
    """The customer a call belongs to and their owner: a caller who left name and number is registered (R3);
    a known number joins its record even when it is a colleague's protected customer."""
    if phone and cmd.caller_name and cmd.caller_name.strip():
        try:
            async with conn.transaction():
                registered, _ = await register_customer(conn, vault, RegisterCustomer(
                    cmd.project_id, cmd.consultant_id, cmd.caller_name, phone, source="phone_call"))
            return uuid.UUID(registered["id"]), registered["owner_id"]
        except CustomerProtected:
            pass
    known = await store.customer_by_phone(conn, cmd.project_id, vault.phone_hash(phone)) if phone else None
    return (known["id"], known["owner_id"]) if known else (None, None)


async def call_stats(conn: asyncpg.Connection, project_id: uuid.UUID, day: date) -> dict[str, Any]:
    """R1, R2: the local day's inbound calls per project and per consultant, with the within-3-rings rate."""
    tz = await store.project_timezone(conn, project_id)
    rows = await store.call_stats(conn, project_id, day, tz, RING_TARGET)
    per = [_call_figures(r["calls"], r["answered"], r["within_target"], r["avg_answer_seconds"],
                         {"consultant_id": r["consultant_id"],
                          "max_answer_seconds": _seconds(r["max_answer_seconds"])}) for r in rows]
    total, answered = sum(p["calls"] for p in per), sum(p["answered"] for p in per)
    within = sum(p["within_3_rings"] for p in per)
    weighted = sum((p["avg_answer_seconds"] or 0) * p["answered"] for p in per)
    return _call_figures(total, answered, within, weighted / answered if answered else None, {
        "project_id": str(project_id), "date": day.isoformat(), "timezone": tz, "by_consultant": per})


def _call_figures(calls: int, answered: int, within: int, avg_seconds: Any, extra: dict[str, Any]) -> dict[str, Any]:
    """The R1 figures of one group of calls: the rate counts unanswered calls as misses."""
    return extra | {"calls": calls, "answered": answered, "within_3_rings": within,
                    "within_3_rings_rate": round(within / calls, 4) if calls else None,
                    "avg_answer_seconds": _seconds(avg_seconds)}


def _seconds(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


async def seal_legacy_pii(conn: asyncpg.Connection, vault: Vault, batch: int = 200) -> int:
    """R18: encrypt profiles and follow-up feedback stored in plain before migration 002; returns rows sealed."""
    sealed = 0
    async with conn.transaction():
        for row in await store.plain_profiles(conn, batch):
            await store.seal_profile(conn, row["id"], vault.encrypt_json(_plain_json(row["profile"])))
            sealed += 1
        for row in await store.plain_feedback(conn, batch):
            await store.seal_feedback(conn, row["id"], vault.encrypt_json(_plain_json(row["feedback"])))
            sealed += 1
        for row in await store.plain_tags(conn, batch):
            await store.seal_tags(conn, row["id"], vault.encrypt_json(list(row["tags"])))
            sealed += 1
        for row in await store.plain_call_notes(conn, batch):
            await store.seal_call_note(conn, row["id"], vault.encrypt(row["asked"]))
            sealed += 1
    return sealed


def _plain_json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str) else value
