"""Leads use cases of the follow-up standard: the structured profile and tags (R11, R12), no bombarding
(R15: the contact cap and quiet hours), and closing a lost customer with its reason (R17)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import (
    VISITOR_TYPES,
    Grade,
    check_contact_cap,
    check_loss,
    check_not_quiet,
    check_tags,
    local_day_span,
    merged_profile,
    needs_change,
)
from services.leads.use_cases.access import visible_customer
from services.leads.use_cases.customer_views import customer_record
from services.leads.use_cases.visitors import tell_visitor_type
from shared.http.auth import Principal
from shared.kernel.clock import now_utc
from shared.kernel.errors import InvalidInput, found
from shared.trust.pii import Vault


@dataclass(frozen=True)
class CustomerChanges:
    """What a PATCH of a customer may change; None leaves a field as it is (R11, R12)."""

    profile: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: tuple[str, ...] | None = None
    grade: str | None = None
    visitor_type: str | None = None
    consent_share: bool | None = None


async def before_a_contact(
    conn: asyncpg.Connection, row: asyncpg.Record, next_contact: datetime, now: datetime
) -> None:
    """R15: the next contact is out of quiet hours and today's contacts stay under the project's cap; a lost
    customer (R17) who is contacted again is a customer again."""
    rules = await store.project_rules(conn, row["project_id"])
    check_not_quiet(next_contact, rules.timezone, rules.quiet_hours, "next_contact_at")
    done = await store.contacts_between(conn, row["id"], *local_day_span(now, rules.timezone))
    check_contact_cap(done, rules.max_contacts_per_day)
    if row["closed_at"] is not None:
        await store.close_customer(conn, row["id"], now, None, None)


async def change_customer(
    conn: asyncpg.Connection, vault: Vault, customer_id: uuid.UUID, changes: CustomerChanges, who: Principal
) -> dict[str, Any]:
    """R11, R12: the owner or the manager corrects what is known of a customer; the answer is the record as it
    now stands."""
    row = await visible_customer(conn, customer_id, who)
    await _change(conn, vault, row, changes, who.sub)
    return await customer_record(conn, vault, customer_id, who)


async def _change(
    conn: asyncpg.Connection, vault: Vault, row: asyncpg.Record, changes: CustomerChanges, by: str
) -> list[str]:
    """Personal fields stay sealed, and the customer's history says who changed which fields when (never the
    values)."""
    async with conn.transaction():
        row = found(await store.customer(conn, row["id"], lock=True), "no such customer")  # as it stands now
        columns = await _columns(conn, vault, row, changes)
        if "profile_enc" in columns and row["needs_counted_at"] is not None:  # R11: the counts follow the profile
            before = vault.decrypt_json(row["profile_enc"], {}) if row["profile_enc"] is not None else row["profile"]
            after = vault.decrypt_json(columns["profile_enc"], {})
            await store.count_needs(conn, row["project_id"], row["needs_counted_at"], needs_change(before, after))
        if columns:
            await tell_visitor_type(conn, row["id"], columns.get("visitor_type"), by)  # R5: inventory learns it
            await store.update_customer(conn, row["id"], columns)
            detail = {"by": by, "fields": sorted(name.removesuffix("_enc") for name in columns)}
            await store.add_timeline(conn, row["id"], now_utc(), "customer_changed", detail)
    return sorted(columns)


async def _columns(
    conn: asyncpg.Connection, vault: Vault, row: asyncpg.Record, changes: CustomerChanges
) -> dict[str, Any]:
    columns: dict[str, Any] = {}
    if changes.profile:
        current = vault.decrypt_json(row["profile_enc"], {}) if row["profile_enc"] is not None else {}
        columns["profile_enc"] = vault.encrypt_json(merged_profile(current, changes.profile))
    if changes.tags is not None:
        allowed = (await store.project_rules(conn, row["project_id"])).tags
        columns["tags_enc"] = vault.encrypt_json(list(check_tags(changes.tags, allowed)))
    if changes.grade is not None and changes.grade not in Grade.__members__:
        raise InvalidInput("grade must be A, B or C", "invalid_grade")
    if changes.visitor_type is not None and changes.visitor_type not in VISITOR_TYPES:
        raise InvalidInput(f"visitor_type must be one of {', '.join(sorted(VISITOR_TYPES))}", "invalid_request")
    plain = {"grade": changes.grade, "visitor_type": changes.visitor_type, "consent_share": changes.consent_share}
    return columns | {name: value for name, value in plain.items() if value is not None}


async def close_customer(
    conn: asyncpg.Connection, vault: Vault, customer_id: uuid.UUID, loss: tuple[str, str | None], who: Principal
) -> dict[str, Any]:
    """R17: the owner or the manager closes a lost customer with one reason from the fixed list (the weekly
    review counts them) and a note. A later follow-up reopens them: a lost customer who comes back is a customer
    again."""
    reason, note = loss
    row = await visible_customer(conn, customer_id, who)
    check_loss(reason)
    at = now_utc()
    async with conn.transaction():
        await store.close_customer(conn, row["id"], at, reason, vault.encrypt(note) if note else None)
        await store.add_timeline(conn, row["id"], at, "closed", {"reason": reason, "by": who.sub})
    return {"id": str(row["id"]), "status": "lost", "reason": reason, "closed_at": at.isoformat()}
