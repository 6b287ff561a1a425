"""Leads use cases for what the manager chases (R13): follow-ups due by their grade's cadence or the agreed next
contact and not done, and call-backs past their time — the overdue list, the 09:00 digest and the weekly review
all count from here. The due time is stored with the customer (migration 012), so each answer reads by index
what it shows: a page, or a count per consultant."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.leads.store import overdue as overdue_store
from shared.http.api_errors import ApiError
from shared.kernel.clock import now_utc

EVERYTHING = 1_000_000  # the whole list at once (tests, small projects); the API asks a page at a time


async def overdue_followups(
    conn: asyncpg.Connection, project_id: uuid.UUID, now: datetime | None = None
) -> list[dict[str, Any]]:
    """R13: what the manager chases, oldest first: customers whose follow-up is due by their grade's cadence or
    the agreed next contact and not done (lost customers are not chased, nor buyers whose deal passed to
    after-sales, R31; key visitors are no leads, R5), and call-backs (R7) past their time."""
    return await _overdue(conn, project_id, now or now_utc(), overdue_store.FIRST, EVERYTHING)


async def _overdue(
    conn: asyncpg.Connection, project_id: uuid.UUID, now: datetime, after: tuple[datetime, uuid.UUID], limit: int
) -> list[dict[str, Any]]:
    """The two lists (each read by its index, after the key) merged on (due time, id), at most `limit`."""
    return [_item(row) for row in await overdue_store.overdue_items(conn, project_id, now, after, limit)]


def _item(row: Any) -> dict[str, Any]:
    return {
        "kind": row["kind"],
        "id": str(row["id"]),
        "customer_id": str(row["customer_id"]),
        "consultant_id": row["consultant_id"],
        "due_at": row["due_at"],
    }


async def overdue_page(
    conn: asyncpg.Connection, project_id: uuid.UUID, after: tuple[str, ...] | None, limit: int
) -> list[dict[str, Any]]:
    """R13: a page of the overdue list, oldest first, as the API shows it (keyset on (due_at, id))."""
    items = await _overdue(conn, project_id, now_utc(), _cursor(after), limit)
    return [i | {"due_at": i["due_at"].isoformat()} for i in items]


def _cursor(after: tuple[str, ...] | None) -> tuple[datetime, uuid.UUID]:
    if after is None:
        return overdue_store.FIRST
    try:
        at, ident = after
        return datetime.fromisoformat(at), uuid.UUID(ident)
    except ValueError:
        raise ApiError("invalid_cursor", "cursor is not one this API gave out", 422) from None


async def overdue_counts(conn: asyncpg.Connection, project_id: uuid.UUID, now: datetime) -> list[dict[str, Any]]:
    """R13: per consultant, overdue follow-ups, late call-backs and the oldest due time (the digest, the review)."""
    return [dict(row) for row in await overdue_store.overdue_by_consultant(conn, project_id, now)]


async def overdue_kept_counts(conn: asyncpg.Connection, project_id: uuid.UUID, now: datetime) -> list[dict[str, Any]]:
    """R13: per consultant, overdue follow-ups and late call-backs, from the counts the writes keep (migration 012):
    the weekly review's cost follows the customers not yet due, not every overdue one."""
    return [dict(row) for row in await overdue_store.overdue_counted(conn, project_id, now)]
