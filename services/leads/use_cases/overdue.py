"""Leads use cases for what the manager chases (R13): follow-ups due by their grade's cadence or the agreed next
contact and not done, and call-backs past their time — the overdue list, the 09:00 digest and the weekly review
all count from here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import due_for, is_overdue
from shared.kernel.clock import now_utc


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


async def overdue_page(
    conn: asyncpg.Connection, project_id: uuid.UUID, after: tuple[str, ...] | None, limit: int
) -> list[dict[str, Any]]:
    """R13: a page of the overdue list, oldest first, as the API shows it. The list is computed, so it is paged
    here, on (due_at, id), after the cursor's key."""
    items = [i | {"due_at": i["due_at"].isoformat()} for i in await overdue_followups(conn, project_id)]
    start = after or ("", "")
    return [i for i in items if (i["due_at"], i["id"]) > tuple(start)][:limit]
