"""Leads use cases for what staff see of customers: who owns a phone (R4) and where else in the group it is known
(v1.2), a page of customers with the phone masked (R8, R18), the full record for the owner and the manager (R8,
R11), and the timeline. Personal data is opened from the vault here, so the HTTP layer gets plain dicts ready for
its response models."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import due_for, is_key_visitor, is_overdue, is_protected, normalise_phone, sees_all
from services.leads.use_cases.access import visible_customer
from services.leads.use_cases.projects import group_projects
from shared.http.auth import Principal
from shared.kernel.clock import now_utc
from shared.trust.pii import Vault, open_text

CursorKey = tuple[str, str]  # (registered_at, id): where the next page of customers starts


@dataclass(frozen=True)
class CustomerQuery:
    """One page of a project's customers as `viewer` may see them (R8), newest first, after a keyset cursor;
    `overdue` keeps only those whose follow-up is due and not done (R13)."""

    project_id: uuid.UUID
    viewer: Principal
    overdue: bool
    after: tuple[datetime, uuid.UUID] | None
    limit: int


async def lookup_owner(conn: asyncpg.Connection, vault: Vault, project_id: uuid.UUID, phone: str) -> dict[str, Any]:
    """R4: the owner of a phone in a project and their protection, never the customer's personal data; and (v1.2)
    where else in the group the phone is a customer or an owner."""
    phone_hash = vault.phone_hash(normalise_phone(phone))
    row = await store.customer_by_phone(conn, project_id, phone_hash)
    elsewhere = {"elsewhere": await _elsewhere(conn, project_id, phone_hash)}
    if row is None:
        nobody = {"exists": False, "owner_id": None, "owner_name": None, "protected_until": None, "protected": False}
        return nobody | elsewhere
    return elsewhere | {
        "exists": True,
        "owner_id": row["owner_id"],
        "owner_name": await store.staff_name(conn, row["owner_id"]),
        "protected_until": row["protected_until"].isoformat(),
        "protected": is_protected(row["protected_until"], now_utc()),
    }


async def _elsewhere(conn: asyncpg.Connection, project_id: uuid.UUID, phone_hash: bytes) -> list[dict[str, Any]]:
    """v1.2 with R18: the group's other projects where this phone is a customer who consented to sharing — which
    project, and `owner` when their unit was handed over, else `customer`; never who serves them there."""
    group = await group_projects(conn, project_id)
    rows = await store.customers_elsewhere(conn, phone_hash, group, project_id) if len(group) > 1 else []
    return [
        {"project_id": str(r["project_id"]), "project_name": r["project_name"], "relation": _relation(r["owner"])}
        for r in rows
    ]


def _relation(owner: bool) -> str:
    return "owner" if owner else "customer"


async def customers_page(
    conn: asyncpg.Connection, vault: Vault, query: CustomerQuery
) -> list[tuple[CursorKey, dict[str, Any]]]:
    """R8: a consultant's own customers, a manager's whole project; each with the key the next page starts after
    and its summary (the phone masked, R18)."""
    owner = None if sees_all(query.viewer.role) else query.viewer.sub
    due_before = now_utc() if query.overdue else None  # R13: due and not done, filtered before the page is cut
    rows = await store.customers_of_project(conn, query.project_id, owner, query.after, query.limit, due_before)
    return [((row["registered_at"].isoformat(), str(row["id"])), _summary(row, vault, full=False)) for row in rows]


async def customer_record(
    conn: asyncpg.Connection, vault: Vault, customer_id: uuid.UUID, who: Principal
) -> dict[str, Any]:
    """R8, R11: the full record — the summary unmasked, the follow-ups and the ownership history (R9) — for
    the owner and the manager."""
    row = await visible_customer(conn, customer_id, who)
    followups, changes = await store.followups_of(conn, row["id"]), await store.owner_changes_of(conn, row["id"])
    history = [_owner_change(change) for change in changes]
    shown = [_followup(followup, vault) for followup in followups]
    return _summary(row, vault, full=True) | {"followups": shown, "ownership_history": history}


async def customer_timeline(conn: asyncpg.Connection, customer_id: uuid.UUID, who: Principal) -> dict[str, Any]:
    """Everything that happened to a customer this person may see, from leads' records and every service's events."""
    row = await visible_customer(conn, customer_id, who)
    return {"customer_id": str(row["id"]), "timeline": await timeline(conn, row["id"])}


async def timeline(conn: asyncpg.Connection, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    """Everything that happened to the customer, from leads' own records and every service's events."""
    return await store.timeline(conn, customer_id)


def _due(row: Any) -> datetime | None:
    return due_for(row["last_touch_at"], row["grade"], row["next_contact_at"])


def _summary(row: Any, vault: Vault, full: bool) -> dict[str, Any]:
    """A customer as the API shows them: masked phone in lists (R18), the full record to owner and manager."""
    due = _due(row)
    body = {name: row[name] for name in ("owner_id", "phone_masked", "source", "visitor_type", "grade")}
    body |= {"id": str(row["id"]), "project_id": str(row["project_id"]), "name": vault.decrypt(row["name_enc"])}
    body |= {"phone": body.pop("phone_masked"), "key_visitor": is_key_visitor(row["visitor_type"])}
    body |= {"tags": _tags(row, vault), "status": "lost" if row["closed_at"] else "active"}
    body |= {name: _iso(row[name]) for name in ("protected_until", "last_touch_at", "next_contact_at")}
    body |= {"followup_due_at": _iso(due), "followup_overdue": is_overdue(due, now_utc())}
    return body | (_unmasked(row, vault) if full else {})


def _unmasked(row: Any, vault: Vault) -> dict[str, Any]:
    """What only the owner and the manager see (R8, R11, R18)."""
    return {
        "phone": vault.decrypt(row["phone_enc"]) if row["phone_enc"] else None,
        "phone_masked": row["phone_masked"],
        "profile": _profile(row, vault),
        "consent_share": row["consent_share"],
        "referred_by": row["referred_by"],
        "registered_at": row["registered_at"].isoformat(),
        "close_reason": row["close_reason"],
    }


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def _tags(row: Any, vault: Vault) -> list[str]:
    """Sealed since migration 003 (R18); rows the sealing job has not reached keep their plain column."""
    return vault.decrypt_json(row["tags_enc"], []) if row["tags_enc"] is not None else list(row["tags"])


def _profile(row: Any, vault: Vault) -> dict[str, Any]:
    """Encrypted since migration 002; rows from before keep their plain column."""
    if row["profile_enc"] is not None:
        return vault.decrypt_json(row["profile_enc"], {})
    return row["profile"] or {}


def _followup(row: Any, vault: Vault) -> dict[str, Any]:
    """R8: time, channel, content, feedback (R17) and the agreed next contact (R14) of one follow-up."""
    feedback = vault.decrypt_json(row["feedback_enc"]) if row["feedback_enc"] is not None else row["feedback"]
    return {
        "id": str(row["id"]),
        "at": row["at"].isoformat(),
        "by": row["consultant_id"],
        "channel": row["channel"],
        "content": vault.decrypt(row["content_enc"]),
        "feedback": feedback,
        "next_contact_at": row["next_contact_at"].isoformat(),
    }


def _owner_change(change: Any) -> dict[str, Any]:
    """R9: one change of owner, with who decided it and why (the reason opened: staff's free text, R18)."""
    return {
        "at": change["at"].isoformat(),
        "from": change["from_owner"],
        "to": change["to_owner"],
        "kind": change["kind"],
        "reason": open_text(change["reason_enc"], change["reason"]),
        "decided_by": change["decided_by"],
    }
