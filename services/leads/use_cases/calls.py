"""Leads use cases for the phone: the call log (R1, R3) and the day's call figures (R2)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import RING_TARGET, check_call, check_next_contact, mask_phone, normalise_phone, rings_of
from services.leads.use_cases.projects import local_today
from services.leads.use_cases.registration import (
    ConsultantCommand,
    CustomerProtected,
    RegisterCustomer,
    register_customer,
)
from services.leads.use_cases.report_facts import Fact, count_fact
from shared.kernel.clock import now_utc
from shared.trust.pii import Vault


@dataclass(frozen=True)
class LogCall(ConsultantCommand):
    """R1: an inbound call as the consultant who took it logs it."""

    rang_at: datetime
    answered_at: datetime | None = None
    caller_phone: str | None = None
    caller_name: str | None = None
    asked: str | None = None
    next_contact_at: datetime | None = None  # R14: agreed on the call


async def log_call(conn: asyncpg.Connection, vault: Vault, cmd: LogCall) -> dict[str, Any]:
    """R1, R3: every call logged with its ring time; a caller who leaves name and number is registered at once."""
    check_call(cmd.rang_at, cmd.answered_at)
    seconds = (cmd.answered_at - cmd.rang_at).total_seconds() if cmd.answered_at else None
    rings = rings_of(seconds) if seconds is not None else None  # R1: from the times, never a number sent
    phone = normalise_phone(cmd.caller_phone) if cmd.caller_phone else None
    async with conn.transaction():
        customer_id, owner = await _caller(conn, vault, cmd, phone)
        row = _call_row(vault, cmd, phone, rings, customer_id)
        await store.insert_call(conn, row)
        await count_fact(conn, _call_fact(row, seconds))  # issue 22: R1, R2 in the group's reports
        shown = customer_id if owner == cmd.consultant_id else None  # R8: a colleague's customer's id is not told
        agreed = await _next_contact(conn, cmd, shown)
    return {
        "id": str(row["id"]),
        "rings": rings,
        "answer_seconds": seconds,
        "within_3_rings": rings is not None and cmd.answered_at is not None and rings <= RING_TARGET,
        "customer_id": str(shown) if shown else None,
    } | {"next_contact_at": agreed.isoformat() if agreed else None}


def _call_row(
    vault: Vault, cmd: LogCall, phone: str | None, rings: int | None, customer_id: uuid.UUID | None
) -> dict[str, Any]:
    """The call as logged: the caller's number sealed for a later registration (R18), what they asked sealed."""
    return {
        "id": uuid.uuid4(),
        "project_id": cmd.project_id,
        "consultant_id": cmd.consultant_id,
        "rang_at": cmd.rang_at,
        "answered_at": cmd.answered_at,
        "rings": rings,
        "caller_masked": mask_phone(phone) if phone else None,
        "caller_phone_enc": vault.encrypt(phone) if phone else None,
        "asked_enc": vault.encrypt(cmd.asked) if cmd.asked else None,
        "customer_id": customer_id,
    }


async def _next_contact(conn: asyncpg.Connection, cmd: LogCall, customer_id: uuid.UUID | None) -> datetime | None:
    """R14: the next contact agreed on the call becomes the customer's, when the caller is this consultant's own
    customer (later than now, out of quiet hours); with anyone else there is no record to keep it on."""
    if cmd.next_contact_at is None or customer_id is None:
        return None
    rules = await store.project_rules(conn, cmd.project_id)
    check_next_contact(cmd.next_contact_at, now_utc(), rules.timezone, rules.quiet_hours)
    await store.set_next_contact(conn, customer_id, cmd.next_contact_at)
    return cmd.next_contact_at


def _call_fact(row: dict[str, Any], answer_seconds: float | None) -> Fact:
    """A logged call as the group's reports keep it: who took it, when it rang, how soon it was answered."""
    data = {"consultant_id": row["consultant_id"], "answer_seconds": answer_seconds}
    data["customer_id"] = str(row["customer_id"]) if row["customer_id"] else None
    return Fact(row["id"], "call-logged", row["project_id"], row["rang_at"], data)


async def _caller(
    conn: asyncpg.Connection, vault: Vault, cmd: LogCall, phone: str | None
) -> tuple[uuid.UUID | None, str | None]:
    """The customer a call belongs to and their owner: a caller who left name and number is registered (R3);
    a known number joins its record even when it is a colleague's protected customer."""
    if phone and cmd.caller_name and cmd.caller_name.strip():
        try:
            async with conn.transaction():
                registered, _ = await register_customer(
                    conn,
                    vault,
                    RegisterCustomer(cmd.project_id, cmd.consultant_id, cmd.caller_name, phone, source="phone_call"),
                )
            return uuid.UUID(registered["id"]), registered["owner_id"]
        except CustomerProtected:
            pass
    known = await store.customer_by_phone(conn, cmd.project_id, vault.phone_hash(phone)) if phone else None
    return (known["id"], known["owner_id"]) if known else (None, None)


async def call_stats(conn: asyncpg.Connection, project_id: uuid.UUID, day: date | None = None) -> dict[str, Any]:
    """R1, R2: a local day's inbound calls (today there by default) per project and per consultant, with the
    within-3-rings rate."""
    day = day or await local_today(conn, project_id)
    tz = await store.project_timezone(conn, project_id)
    rows = await store.call_stats(conn, project_id, day, tz, RING_TARGET)
    per = [
        _call_figures(
            r["calls"],
            r["answered"],
            r["within_target"],
            r["avg_answer_seconds"],
            {"consultant_id": r["consultant_id"], "max_answer_seconds": _seconds(r["max_answer_seconds"])},
        )
        for r in rows
    ]
    total, answered = sum(p["calls"] for p in per), sum(p["answered"] for p in per)
    within = sum(p["within_3_rings"] for p in per)
    weighted = sum((p["avg_answer_seconds"] or 0) * p["answered"] for p in per)
    return _call_figures(
        total,
        answered,
        within,
        weighted / answered if answered else None,
        {"project_id": str(project_id), "date": day.isoformat(), "timezone": tz, "by_consultant": per},
    )


def _call_figures(calls: int, answered: int, within: int, avg_seconds: Any, extra: dict[str, Any]) -> dict[str, Any]:
    """The R1 figures of one group of calls: the rate counts unanswered calls as misses."""
    return extra | {
        "calls": calls,
        "answered": answered,
        "within_3_rings": within,
        "within_3_rings_rate": round(within / calls, 4) if calls else None,
        "avg_answer_seconds": _seconds(avg_seconds),
    }


def _seconds(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)
