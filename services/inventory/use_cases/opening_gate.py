"""Issue 19, holds outside the opening's order: the moment an opening goes live, and the units sales control keeps
out of it. From the close of entry (issue 25; the draw, for an opening that never closed it by itself) a hold in the
project follows the opening's rules (`check_opening_rule`). When the opening goes live, the holds taken before (or
outside an entrant's window) are released, once: one job, the opening locked and marked in the same transaction as
the releases. Issue 25: an opening whose entry closed and that starts undrawn lapses, recorded by the same job."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.inventory import store as units_store
from services.inventory.domain.openings import Schedule, UnknownUnit, check_keep_out, keeps_hold
from services.inventory.store import opening_gate as store
from services.inventory.store import openings as openings_store
from services.inventory.use_cases.holds import announce_release
from shared.db.rows import json_view
from shared.kernel.clock import now_utc
from shared.kernel.errors import found
from shared.runtime.logs import log

KEPT_OUT = ("unit_id", "building", "number", "reason", "kept_by", "kept_at")  # a unit kept out, as the API shows it


async def next_opening_start(conn: asyncpg.Connection) -> datetime | None:
    """When the gate next has an opening to let go live."""
    return await store.next_opening_start(conn)


async def let_openings_go_live(conn: asyncpg.Connection, now: datetime | None = None) -> int:
    """The job's pass: one opening that started by `now` (None: the one clock's now) goes live — the holds outside
    its order are released (`unit-released`, reason `opening`) and the opening is marked, in one transaction. 1 when
    one went live (the job asks again at once), 0 when none is due (or another process has it). Issue 25: first,
    the openings whose entry closed and which started undrawn are recorded as lapsed (never drawn)."""
    at = now or now_utc()
    await lapse_undrawn(conn, at)
    async with conn.transaction():
        opening = await store.opening_due_live(conn, at)
        if opening is None:
            return 0
        schedule = Schedule(opening["starts_at"], opening["window_minutes"], opening["batch_size"])
        for hold in await store.holds_at_start(conn, opening, at):
            if not keeps_hold(schedule, hold["queue_no"], hold["created_at"], hold["kept_out"]):
                await _release(conn, hold, f"opening:{opening['id']}")
        await store.mark_went_live(conn, opening["id"], at)
    return 1


async def lapse_undrawn(conn: asyncpg.Connection, at: datetime) -> int:
    """Issue 25: an opening whose entry closed but whose reveals did not all come before its start is never drawn;
    it is recorded as lapsed (with the parties that withheld their secret in the log), and holds in its project
    are as on any day again."""
    async with conn.transaction():
        lapsed = await store.lapse_undrawn(conn, at)
        for opening in lapsed:
            unrevealed = await store.unrevealed_parties(conn, opening["id"])
            log(
                "opening_lapsed",
                opening_id=str(opening["id"]),
                project_id=str(opening["project_id"]),
                unrevealed=unrevealed,
            )
    return len(lapsed)


async def _release(conn: asyncpg.Connection, hold: asyncpg.Record, actor: str) -> None:
    """The hold ends, its unit is available again (history names the opening), and `unit-released` says why."""
    ended = await units_store.end_hold(conn, hold["id"], "released", actor)
    if ended is not None:
        await announce_release(conn, ended, "opening")


async def keep_out(
    conn: asyncpg.Connection, opening_row: Any, unit_id: uuid.UUID, reason: str, actor: str, now: datetime | None = None
) -> dict[str, Any]:
    """Sales control keeps a unit of the project out of the opening before it starts, on record with who and why:
    its hold stays when the opening goes live, and the opening's hold rule does not apply to it."""
    at = now or now_utc()
    async with conn.transaction():  # the opening locked: its going live waits for this, or this sees it went live
        row = found(await openings_store.opening(conn, opening_row["id"], lock=True), "no such opening")
        unit = await units_store.unit(conn, unit_id)
        if unit is None or unit["project_id"] != row["project_id"]:
            raise UnknownUnit("no such unit in the opening's project")
        already = await store.is_kept_out(conn, row["id"], unit_id)
        check_keep_out(row["starts_at"], row["went_live_at"] is not None, already, at)
        kept = await store.keep_out(conn, row["id"], unit_id, reason, actor, at)
        assert kept is not None  # the opening is locked and the unit was not kept out of it
    return json_view(dict(kept) | {"building": unit["building"], "number": unit["number"]}, *KEPT_OUT)


async def kept_out(conn: asyncpg.Connection, opening_id: uuid.UUID) -> list[dict[str, Any]]:
    """The units kept out of the opening, with who, when and why."""
    return [json_view(row, *KEPT_OUT) for row in await store.kept_out(conn, opening_id)]
