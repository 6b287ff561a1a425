"""Leads use case for registration (R3–R6, R10): one customer per phone per project, protected for the
registering consultant; a lapsed one passes on."""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import (
    Grade,
    check_next_contact,
    check_registration,
    check_tags,
    decide_registration,
    followup_due,
    is_key_visitor,
    mask_phone,
    merged_profile,
    needs_of,
    normalise_phone,
    protected_until,
)
from services.leads.use_cases.customers import change_owner
from services.leads.use_cases.referrals import note_referral
from services.leads.use_cases.report_facts import count_event
from shared.kernel.clock import now_utc
from shared.kernel.errors import DomainError
from shared.messaging import topics
from shared.messaging.outbox import add_event
from shared.runtime.logs import log
from shared.trust.pii import Vault

REGISTRATION_ATTEMPTS = 3


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
class ConsultantCommand:
    """Something a consultant does for a project."""

    project_id: uuid.UUID
    consultant_id: str


@dataclass(frozen=True)
class RegisterCustomer(ConsultantCommand):
    """R3–R6: a walk-in, a caller or a referral registered to the consultant who met them."""

    name: str
    phone: str | None = None
    source: str = "walk_in"
    visitor_type: str = "customer"
    profile: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    grade: str | None = None
    consent_share: bool = False
    referred_by: str | None = None
    next_contact_at: datetime | None = None  # R14: the agreed next contact
    referred_by_phone: str | None = None  # v1.2, R34: the referring owner's phone (any project of the group)


async def register_customer(
    conn: asyncpg.Connection, vault: Vault, cmd: RegisterCustomer, now: datetime | None = None
) -> tuple[dict[str, Any], bool]:
    """R3–R6, R10: one customer per phone per project; a lapsed one passes to the registering consultant."""
    now = now or now_utc()
    check_registration(cmd.name, cmd.visitor_type, cmd.grade)
    cmd = await _checked(conn, cmd, now)
    phone = normalise_phone(cmd.phone) if cmd.phone else None
    referrer = normalise_phone(cmd.referred_by_phone) if cmd.referred_by_phone else None
    for _ in range(REGISTRATION_ATTEMPTS):
        try:
            return await _register_once(conn, vault, cmd, (phone, referrer), now)
        except _LostRace:
            continue
    raise RegistrationBusy("this phone is being registered by someone else right now; try again")


async def _checked(conn: asyncpg.Connection, cmd: RegisterCustomer, now: datetime) -> RegisterCustomer:
    """R11, R12, R14 exactly as PATCH and a follow-up check them: the profile's fields and ranges, tags from the
    project's list (folded), the agreed next contact later than now and out of quiet hours."""
    rules = await store.project_rules(conn, cmd.project_id)
    if cmd.next_contact_at is not None:
        check_next_contact(cmd.next_contact_at, now, rules.timezone, rules.quiet_hours)
    profile = merged_profile({}, cmd.profile) if cmd.profile else {}
    return dataclasses.replace(cmd, profile=profile, tags=check_tags(cmd.tags, rules.tags))


async def _register_once(
    conn: asyncpg.Connection, vault: Vault, cmd: RegisterCustomer, phones: tuple[str | None, str | None], now: datetime
) -> tuple[dict[str, Any], bool]:
    """One try; `phones`: the customer's and the referrer's, normalised (either may be None)."""
    phone, referrer_phone = phones
    phone_hash = vault.phone_hash(phone) if phone else None
    async with conn.transaction():
        days = await store.protection_days(conn, cmd.project_id)
        if phone_hash is not None:
            found = await store.customer_by_phone(conn, cmd.project_id, phone_hash, lock=True)
            if found is not None:
                return await _registered_again(conn, found, cmd, days, now), False
        row = _new_row(vault, cmd, phone, phone_hash, days, now)
        if not await store.insert_customer(conn, row):
            raise _LostRace()
        await store.count_needs(conn, cmd.project_id, now, needs_of(cmd.profile))  # R11: the review's counts
        detail = {"owner_id": cmd.consultant_id, "source": cmd.source, "visitor_type": cmd.visitor_type}
        await store.add_timeline(conn, row["id"], now, "registered", detail)
        await note_referral(conn, vault, row, (cmd.name, referrer_phone))  # R34, with R5, no self-referral
        env = await add_event(
            conn, topics.CUSTOMER_REGISTERED, _registered(cmd, row, now), project_id=str(cmd.project_id)
        )
        await count_event(conn, env, now)  # issue 22: a new customer (a walk-in: a visit) in the group's reports
    log("customer_registered", customer_id=str(row["id"]), project_id=str(cmd.project_id), owner=cmd.consultant_id)
    answer = {"id": str(row["id"]), "owner_id": cmd.consultant_id, "existing": False}
    return answer | {"protected_until": row["protected_until"].isoformat()}, True


def _registered(cmd: RegisterCustomer, row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """customer-registered: ids, grade and when to call next, the visitor type; no personal data (R18)."""
    next_contact = followup_due(now, Grade(cmd.grade) if cmd.grade else None, cmd.next_contact_at)  # R13, R14
    return {
        "customer_id": str(row["id"]),
        "owner_id": cmd.consultant_id,
        "grade": cmd.grade,
        "next_contact_at": next_contact,
        "visitor_type": cmd.visitor_type,
        "key_visitor": is_key_visitor(cmd.visitor_type),
        "source": cmd.source,
        "protected_until": row["protected_until"],
    }


def _new_row(
    vault: Vault, cmd: RegisterCustomer, phone: str | None, phone_hash: bytes | None, days: int, now: datetime
) -> dict[str, Any]:
    """The customer row, personal fields sealed (R18)."""
    plain = {
        name: getattr(cmd, name)
        for name in ("project_id", "source", "visitor_type", "grade", "consent_share", "referred_by")
    }
    sealed = {
        "name_enc": vault.encrypt(cmd.name.strip()),
        "phone_enc": vault.encrypt(phone) if phone else None,
        "profile_enc": vault.encrypt_json(cmd.profile),
        "tags_enc": vault.encrypt_json(list(cmd.tags)),
    }
    return {
        "id": uuid.uuid4(),
        "owner_id": cmd.consultant_id,
        "phone_hash": phone_hash,
        "phone_masked": mask_phone(phone) if phone else None,
        "now": now,
        "protected_until": now if is_key_visitor(cmd.visitor_type) else protected_until(now, days),  # R5: no claim
        "next_contact_at": cmd.next_contact_at,
        "needs_counted_at": now,  # R11: counted below, under the registration time
        **plain,
        **sealed,
    }


async def _registered_again(
    conn: asyncpg.Connection, found: asyncpg.Record, cmd: RegisterCustomer, days: int, now: datetime
) -> dict[str, Any]:
    """R4: the existing customer; R10: one whose protection lapsed passes to this consultant, recorded; R14: the
    next contact agreed at this registration is theirs."""
    consultant = cmd.consultant_id
    decision = decide_registration(found["owner_id"], found["protected_until"], consultant, now)
    until = found["protected_until"]
    if decision.owner_id != consultant:
        raise CustomerProtected(await store.staff_name(conn, found["owner_id"]), until)
    if decision.outcome == "transferred":
        until = protected_until(now, days)
        await change_owner(
            conn, found, consultant, "lapsed_reregistration", "protection period lapsed (R10)", consultant, now, until
        )
        log("customer_passed_on", customer_id=str(found["id"]), from_owner=found["owner_id"], to_owner=consultant)
    if cmd.next_contact_at is not None:
        await store.set_next_contact(conn, found["id"], cmd.next_contact_at)
    return {
        "id": str(found["id"]),
        "owner_id": decision.owner_id,
        "protected_until": until.isoformat(),
        "existing": True,
    }
