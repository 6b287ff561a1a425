"""Leads use cases that read: who owns a phone (R4), a consultant's customers (R8), one customer's record and
timeline, the project's local day. Access is decided here, with the rows, not in the HTTP layer."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from services.leads import store
from services.leads.domain import due_for, is_overdue, is_protected, may_see
from shared.http.auth import Principal
from shared.kernel.clock import now_utc
from shared.kernel.errors import NotFound


async def remember_staff(conn: asyncpg.Connection, staff_id: str, name: str) -> None:
    """Staff names come only in tokens: the latest one per staff id is kept for "who served you before?"."""
    await store.remember_staff(conn, staff_id, name)


async def lookup_owner(conn: asyncpg.Connection, project_id: uuid.UUID, phone_hash: bytes) -> dict[str, Any]:
    """R4: the owner of a phone in a project and their protection, never the customer's personal data."""
    row = await store.customer_by_phone(conn, project_id, phone_hash)
    if row is None:
        return {"exists": False, "owner_id": None, "owner_name": None, "protected_until": None, "protected": False}
    return {
        "exists": True,
        "owner_id": row["owner_id"],
        "owner_name": await store.staff_name(conn, row["owner_id"]),
        "protected_until": row["protected_until"].isoformat(),
        "protected": is_protected(row["protected_until"], now_utc()),
    }


async def customers_page(
    conn: asyncpg.Connection, project_id: uuid.UUID, owner: str | None, after: tuple[Any, Any] | None, limit: int | None
) -> list[asyncpg.Record]:
    """R8: a project's customers, newest first; only `owner`'s when one is named."""
    return await store.customers_of_project(conn, project_id, owner, after, limit)


async def visible_customer(conn: asyncpg.Connection, customer_id: uuid.UUID, who: Principal) -> asyncpg.Record:
    """The customer if this person may see them; NotFound otherwise (R8: others' customers don't exist for you)."""
    row = await store.customer(conn, customer_id)
    if row is None:
        raise NotFound("no such customer")
    who.require_project(str(row["project_id"]))  # another project's staff: 403, as everywhere
    if not may_see(row["owner_id"], who.sub, who.role):
        raise NotFound("no such customer")
    return row


async def own_customer(conn: asyncpg.Connection, customer_id: uuid.UUID, who: Principal) -> asyncpg.Record:
    """The customer if this consultant owns them (R8: only the owner records follow-ups)."""
    row = await visible_customer(conn, customer_id, who)
    if row["owner_id"] != who.sub:
        raise NotFound("no such customer of yours")
    return row


async def customer_history(conn: asyncpg.Connection, customer_id: uuid.UUID) -> tuple[list[Any], list[Any]]:
    """R8, R9: the customer's follow-ups and ownership changes, oldest first."""
    return await store.followups_of(conn, customer_id), await store.owner_changes_of(conn, customer_id)


async def timeline(conn: asyncpg.Connection, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    """Everything that happened to the customer, from leads' own records and every service's events."""
    return await store.timeline(conn, customer_id)


async def local_today(conn: asyncpg.Connection, project_id: uuid.UUID) -> date:
    """Today in the project's time zone."""
    return now_utc().astimezone(ZoneInfo(await store.project_timezone(conn, project_id))).date()


async def overdue_followups(
    conn: asyncpg.Connection, project_id: uuid.UUID, now: datetime | None = None
) -> list[dict[str, Any]]:
    """R13: what the manager chases, oldest first: customers whose follow-up is due by their grade's cadence or
    the agreed next contact and not done (lost customers are not chased, nor buyers whose deal passed to
    after-sales, R31; key visitors are no leads, R5), and call-backs (R7) past their time."""
    now = now or now_utc()
    done_with = await store.customers_in_aftersales(conn, project_id)
    rows = await store.customers_of_project(conn, project_id, None, None, None)
    open_rows = [r for r in rows if not r["closed_at"] and r["id"] not in done_with]
    dues = [(row, due_for(row["last_touch_at"], row["grade"], row["next_contact_at"])) for row in open_rows]
    items = [_overdue_customer(row, due) for row, due in dues if is_overdue(due, now)]
    past = (datetime.min.replace(tzinfo=now.tzinfo), now)
    callbacks = await store.callbacks_page(conn, project_id, None, past, (None, 10_000))
    items += [
        {
            "kind": "callback",
            "id": str(c["id"]),
            "customer_id": str(c["customer_id"]),
            "consultant_id": c["consultant_id"],
            "due_at": c["due_at"],
        }
        for c in callbacks
    ]
    return sorted(items, key=lambda item: (item["due_at"], item["id"]))


def _overdue_customer(row: Any, due: datetime | None) -> dict[str, Any]:
    return {
        "kind": "followup",
        "id": str(row["id"]),
        "customer_id": str(row["id"]),
        "consultant_id": row["owner_id"],
        "due_at": due,
    }
