"""Issue 11, the opening (开盘): create it, let registered customers join, draw the lottery (摇号) with a published
seed, show the order and the open batch, and the hold rule while an opening is live."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.inventory.domain import openings as rules
from services.inventory.domain.fairness import check_entry_open, check_typed_draw, entrants_digest
from services.inventory.domain.openings import (
    OpeningsOverlap,
    Schedule,
    batch_of,
    current_batch,
    draw_order,
    span_end,
    status_at,
    window_of,
    windows,
)
from services.inventory.store import commitments as commitments_store
from services.inventory.store import openings as store
from services.inventory.use_cases.opening_gate import kept_out
from shared.kernel.clock import now_utc
from shared.kernel.errors import DomainError, found
from shared.messaging import topics
from shared.messaging.outbox import add_event
from shared.trust.ownership import in_project


class UnknownEntrants(DomainError):
    """Issue 11: only customers registered in the project (leads, not key visitors) join its opening."""

    code = "unknown_customer"

    def __init__(self, unknown: list[str]) -> None:
        super().__init__(f"not registered in this project: {', '.join(unknown[:20])}; nothing was added")
        self.unknown = unknown

    def extra(self) -> dict[str, Any]:
        """Every refused id, so the list can be fixed in one go."""
        return {"customer_ids": self.unknown}


@dataclass(frozen=True)
class NewOpening:
    starts_at: datetime
    window_minutes: int
    batch_size: int
    units_per_buyer: int

    @property
    def schedule(self) -> Schedule:
        return Schedule(self.starts_at, self.window_minutes, self.batch_size)


async def create_opening(
    conn: asyncpg.Connection, project_id: uuid.UUID, new: NewOpening, actor: str, now: datetime | None = None
) -> dict:
    """Issue 11: an opening of the project, taking entrants until it is drawn; issue 19: one that starts after
    `now` (None: the one clock's now), the moment it is created."""
    rules.check_starts_ahead(new.starts_at, now or now_utc())
    opening_id = uuid.uuid4()
    await store.insert_opening(conn, opening_id, project_id, new.schedule, new.units_per_buyer, actor)
    return await opening_view(conn, found(await store.opening(conn, opening_id), "no such opening"))


async def opening_in_reach(conn: asyncpg.Connection, opening_id: uuid.UUID, may_work_on: Callable[[str], None]) -> Any:
    """The opening, once its project is checked (404 none, 403 another project's)."""
    return in_project(await store.opening(conn, opening_id), "opening", may_work_on)


def _parsed(raw_ids: list[str]) -> tuple[list[uuid.UUID], list[str]]:
    """Distinct ids in the order given, and the strings that are no ids at all (shown ASCII-safe)."""
    ids, bad = [], []
    for raw in raw_ids:
        try:
            ids.append(uuid.UUID(raw))
        except ValueError:
            bad.append(ascii(raw)[1:-1])
    return list(dict.fromkeys(ids)), bad


async def add_entrants(conn: asyncpg.Connection, opening_row: Any, raw_ids: list[str], actor: str) -> dict:
    """Issue 11: registered customers of the project join before the draw (issue 25: before entry closes); all or
    nothing; twice is harmless."""
    ids, bad = _parsed(raw_ids)
    async with conn.transaction():
        row = found(await store.opening(conn, opening_row["id"], lock=True), "no such opening")
        rules.check_not_drawn(row["status"] == "drawn")
        check_entry_open(row["entry_closed_at"] is not None)
        known = await store.known_customers(conn, row["project_id"], ids)
        unknown = bad + [str(i) for i in ids if i not in known]
        if unknown:
            raise UnknownEntrants(unknown)
        rules.check_room(row["entrants"] + await store.count_new_entrants(conn, row["id"], ids))
        added = await store.add_entrants(conn, row["id"], ids, actor)
    return {"opening_id": str(row["id"]), "added": added, "entrants": row["entrants"] + added}


def _schedule(row: Any) -> Schedule:
    return Schedule(row["starts_at"], row["window_minutes"], row["batch_size"])


async def draw(conn: asyncpg.Connection, opening_row: Any, seed: str | None, actor: str) -> dict:
    """Issue 11 (摇号): queue numbers by HMAC-SHA256(seed, customer_id); the seed and windows are published. Issue 25:
    an opening that took a commitment is drawn by its reveals only (`use_cases.fair_openings`)."""
    seed = seed or secrets.token_hex(16)
    async with conn.transaction():
        await store.lock_project_draws(conn, opening_row["project_id"])
        row = found(await store.opening(conn, opening_row["id"], lock=True), "no such opening")
        check_typed_draw(await commitments_store.any_commitment(conn, row["id"]))
        rules.check_draw(row["status"] == "drawn", row["entrants"])
        await publish_draw(conn, row, seed, actor)
    return await opening_view(conn, found(await store.opening(conn, row["id"]), "no such opening"))


async def publish_draw(conn: asyncpg.Connection, row: Any, seed: str, actor: str) -> None:
    """Inside the caller's transaction, the opening and its project's draws locked: the entrants' queue numbers by
    `seed`, the seed and windows saved and published (event `opening-drawn`)."""
    ids = [str(c) for c in await store.entrant_ids(conn, row["id"])]
    order = [uuid.UUID(c) for c in draw_order(seed, ids)]
    schedule, ends_at = _schedule(row), span_end(_schedule(row), len(order))
    clash = await store.overlapping_drawn(conn, row["project_id"], row["id"], row["starts_at"], ends_at)
    if clash is not None:
        raise OpeningsOverlap(f"opening {clash} of this project is drawn for an overlapping time")
    await store.save_draw(conn, row["id"], seed, ends_at, actor, order, entrants_digest(ids))
    published = [asdict(w) for w in windows(schedule, len(order))]
    data: dict[str, Any] = {"opening_id": str(row["id"]), "project_id": str(row["project_id"]), "seed": seed}
    data |= {"entrants": len(order), "windows": published}
    await add_event(conn, topics.OPENING_DRAWN, data, project_id=str(row["project_id"]))


async def opening_view(conn: asyncpg.Connection, row: Any, now: datetime | None = None) -> dict:
    """Issue 11: the opening as staff see it at `now` (default: the clock): status, seed, the order with each
    queue number's window, the batch whose window is open, and the project's units held and sold now; issue 19: the
    units kept out of it, and when it went live (its holds outside the order released); issue 25: the entrant
    digest and the commitments (each secret once revealed), when entry closed, and when it lapsed undrawn."""
    at, schedule, drawn = now or now_utc(), _schedule(row), row["status"] == "drawn"
    counts = await store.unit_counts(conn, row["project_id"])
    status = status_at(drawn, schedule, row["entrants"], at, row["entry_closed_at"] is not None)
    return {
        "id": str(row["id"]),
        "project_id": str(row["project_id"]),
        "status": status.value,
        "starts_at": row["starts_at"].isoformat(),
        **{k: row[k] for k in ("window_minutes", "batch_size", "units_per_buyer", "seed", "entrants")},
        "order": await _order(conn, row["id"], schedule),
        "current_batch": current_batch(schedule, row["entrants"], at) if drawn else None,
        "sold": counts["sold"],
        "held": counts["held"],
        "kept_out": await kept_out(conn, row["id"]),
        "went_live_at": _iso(row["went_live_at"]),
        "entrants_digest": row["entrants_digest"],
        "entry_closed_at": _iso(row["entry_closed_at"]),
        "lapsed_at": _iso(row["lapsed_at"]),
        "commitments": [_commitment(c) for c in await commitments_store.commitments(conn, row["id"])],
    }


async def _order(conn: asyncpg.Connection, opening_id: uuid.UUID, schedule: Schedule) -> list[dict[str, Any]]:
    """The queue, each number with its batch's window (empty before the draw)."""
    order = []
    for q in await store.queue(conn, opening_id):
        start, end = window_of(schedule, batch_of(q["queue_no"], schedule.batch_size))
        order.append(
            {"queue_no": q["queue_no"], "customer_id": str(q["customer_id"])}
            | {"window_starts_at": start.isoformat(), "window_ends_at": end.isoformat()}
        )
    return order


def _commitment(row: Any) -> dict[str, Any]:
    """A party as the opening shows it: its commitment, whether a notary made it, and its secret once revealed."""
    shown = {k: row[k] for k in ("party", "commitment", "notary")}
    shown |= {"committed_at": row["committed_at"].isoformat(), "revealed_at": _iso(row["revealed_at"])}
    return shown | ({"secret": row["secret"]} if row["secret"] is not None else {})


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


async def check_opening_rule(
    conn: asyncpg.Connection, project_id: uuid.UUID, unit_id: uuid.UUID, customer_id: uuid.UUID, now: datetime | None
) -> None:
    """Issue 11 (开盘), inside the hold's transaction: while an opening of the project governs the unit (issue 19:
    from its draw to its end, unless the unit is kept out of it), only an entrant in their batch's window holds, up
    to units_per_buyer. The entrant row is locked before the buyer's units are counted, so two holds of one buyer
    take turns (no limit is passed by a race). No such opening: one query."""
    live = await store.governing_opening(conn, project_id, unit_id, now)
    if live is None:
        return
    queue_no = await store.lock_entrant(conn, live["id"], customer_id)
    owned = await store.units_of_buyer(conn, project_id, customer_id, live["now"]) if queue_no is not None else 0
    rules.check_hold(_schedule(live), live["units_per_buyer"], queue_no, owned, live["now"])
