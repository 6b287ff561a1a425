"""Leads use case for a consultant who leaves a project (离职/调岗 交接, v1.2): every customer they own there moves
to a named colleague or, in turn, to the project's recently active consultants, with their scheduled call-backs;
each move is kept like the manager's decisions (R9: history with the sealed reason, a timeline line) and announced
(`ownership-changed`, reason `handover`), so every service's "who owns whom" follows. A book of thousands moves in
batches of `BATCH` customers, each one transaction of one statement per table; a second call finds nothing left."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import (
    DEPARTURE_KIND,
    HANDOVER_REASON,
    active_since,
    check_departure,
    deal_out,
    heirs_count,
    protected_until,
)
from shared.http.auth import Principal
from shared.kernel.clock import now_utc
from shared.messaging import topics
from shared.messaging.outbox import OutboxRow, outbox_row
from shared.runtime.logs import log
from shared.trust.pii import seal_text

# Customers moved per transaction: its key locks (one per customer) stay well inside PostgreSQL's shared lock table
# (max_locks_per_transaction × connections), and a failure part-way leaves whole batches moved for the retry.
BATCH = 1000


@dataclass(frozen=True)
class Departure:
    """A consultant (`staff_id`) leaves a project; `to`: the colleague who takes the whole book, if named."""

    project_id: uuid.UUID
    staff_id: str
    reason: str
    to: str | None = None


async def hand_on_book(
    conn: asyncpg.Connection, order: Departure, who: Principal, now: datetime | None = None
) -> dict[str, Any]:
    """The leaver's customers in the project pass to their heirs; `{moved, to: {consultant_id: count}}`."""
    check_departure(order.staff_id, order.to, order.reason)
    now = now or now_utc()
    book = await store.book_of(conn, order.project_id, order.staff_id)
    heirs = [order.to] if order.to else await _recently_active(conn, order, now) if book else []
    moves = deal_out(book, heirs)
    until = protected_until(now, await store.protection_days(conn, order.project_id))
    change: dict[str, Any] = {"from_owner": order.staff_id, "kind": DEPARTURE_KIND, "at": now}
    change |= {"reason_enc": seal_text(order.reason.strip()), "decided_by": who.sub}
    moved: list[tuple[uuid.UUID, str]] = []
    for start in range(0, len(moves), BATCH):
        async with conn.transaction():
            moved += await _move_batch(conn, order.project_id, moves[start : start + BATCH], change, until)
    await _record(conn, order, len(moved), change)
    log("consultant_departed", project_id=str(order.project_id), staff_id=order.staff_id, moved=len(moved))
    return {"moved": len(moved), "to": heirs_count(moved)}


async def _recently_active(conn: asyncpg.Connection, order: Departure, now: datetime) -> list[str]:
    return await store.active_consultants(conn, order.project_id, active_since(now), order.staff_id)


async def _move_batch(
    conn: asyncpg.Connection,
    project_id: uuid.UUID,
    moves: Sequence[tuple[uuid.UUID, str]],
    change: dict[str, Any],
    until: datetime,
) -> list[tuple[uuid.UUID, str]]:
    """One transaction: the customers still the leaver's change hands, then their history, timeline, call-backs and
    events, one statement each."""
    leaver, now = change["from_owner"], change["at"]
    moved = await store.move_customers(conn, (project_id, leaver), moves, (now, until))
    if not moved:
        return []
    await store.record_moves(conn, moved, change)
    callbacks = await store.move_callbacks(conn, moved, leaver)
    events = [_ownership_changed(project_id, leaver, customer, heir) for customer, heir in moved]
    await store.add_events(conn, events + [_callback_moved(project_id, row) for row in callbacks])
    return moved


def _ownership_changed(project_id: uuid.UUID, leaver: str, customer: uuid.UUID, heir: str) -> OutboxRow:
    data = {"customer_id": str(customer), "project_id": str(project_id), "from_consultant_id": leaver}
    data |= {"to_consultant_id": heir, "reason": HANDOVER_REASON}
    return outbox_row(topics.OWNERSHIP_CHANGED, data, project_id=str(project_id))


def _callback_moved(project_id: uuid.UUID, row: asyncpg.Record) -> OutboxRow:
    """R7: the call-back is scheduled still, now for the heir (notifications reminds them at its time)."""
    data = {"callback_id": str(row["id"]), "customer_id": str(row["customer_id"]), "due_at": row["due_at"]}
    data |= {"consultant_id": row["consultant_id"]}
    return outbox_row(topics.CALLBACK_SCHEDULED, data, project_id=str(project_id))


async def _record(conn: asyncpg.Connection, order: Departure, moved: int, change: dict[str, Any]) -> None:
    """The departure itself, kept (R35): who left, to whom if named, how many moved, decided by whom, why (sealed)."""
    departure = {"id": uuid.uuid4(), "project_id": order.project_id, "staff_id": order.staff_id}
    departure |= {"to_consultant_id": order.to, "moved": moved, "reason_enc": change["reason_enc"]}
    await store.record_departure(conn, departure | {"decided_by": change["decided_by"], "at": change["at"]})
