"""Inventory use cases for projects and holds: import, release, expiry, and what a deposit does to a hold
(verified: a sale opens; refunded: it closes). Each writes rows and outbox events in one transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.inventory import store
from services.inventory.domain import DomainError, InvalidTransition, ProjectSettings, RowProblem, UnitRow, UnitStatus
from shared.kernel.clock import now_utc
from shared.kernel.errors import NotFound, refusal
from shared.messaging import topics
from shared.messaging.outbox import add_event
from shared.runtime.logs import log

DuplicateCode = refusal("DuplicateCode", "project_code_taken", "A project's code is unique.")


class BadRows(DomainError):
    code = "invalid_units"

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("; ".join(f"row {p.row} {p.field}: {p.message}" for p in problems[:50]))
        self.problems = problems

    def extra(self) -> dict[str, Any]:
        """Each bad row and field, so the file can be fixed in one go."""
        return {"details": [p.as_json() for p in self.problems]}


async def create_project(
    conn: asyncpg.Connection, code: str, name: str, city: str | None, settings: ProjectSettings
) -> dict[str, Any]:
    """Create a project and announce it (its settings drive the other services' rules)."""
    project_id = uuid.uuid4()
    async with conn.transaction():
        if not await store.insert_project(conn, project_id, code, name, city, settings):
            raise DuplicateCode(f"a project with code {code} exists")
        await add_event(
            conn,
            topics.PROJECT_CREATED,
            {"project_id": str(project_id), "code": code, "name": name, "city": city, "settings": settings.as_json()},
            project_id=str(project_id),
        )
    return {"id": str(project_id), "code": code, "name": name, "city": city, "settings": settings.as_json()}


async def import_units(
    conn: asyncpg.Connection, project_id: uuid.UUID, rows: list[UnitRow], problems: list[RowProblem]
) -> int:
    """All or nothing: any bad row (or a unit that exists already) and nothing is imported."""
    if problems:
        raise BadRows(problems)
    async with conn.transaction():
        clashes = await store.insert_units(conn, project_id, rows)
        if clashes:
            index = {(r.building, r.number): i for i, r in enumerate(rows, start=1)}
            raise BadRows([RowProblem(index[c], "number", f"{c[0]}-{c[1]} exists already") for c in clashes])
    return len(rows)


async def release_hold(
    conn: asyncpg.Connection, unit_id: uuid.UUID, hold_id: uuid.UUID, actor: str, may_release_any: bool
) -> None:
    """Holder, manager or sales control ends a live hold; the unit is free again."""
    async with conn.transaction():
        row = await store.hold(conn, hold_id, lock=True)
        if row is None or row["unit_id"] != unit_id:
            raise NotFound("no such hold on this unit")
        if not may_release_any and row["consultant_id"] != actor:
            raise NotFound("no such hold on this unit")  # R8: another consultant's hold is not theirs to see
        if row["state"] != "live":
            raise InvalidTransition(f"the hold is {row['state']}", "hold_not_live")
        await store.end_hold(conn, hold_id, "released", actor)
        await announce_release(conn, row, "cancelled")


async def announce_release(conn: asyncpg.Connection, hold_row: asyncpg.Record, reason: str) -> None:
    """`unit-released` for a hold that ended: expired, cancelled, refunded, or opening (issue 19)."""
    await add_event(
        conn,
        topics.UNIT_RELEASED,
        {"hold_id": str(hold_row["id"]), "unit_id": str(hold_row["unit_id"]), "reason": reason},
        project_id=str(hold_row["project_id"]),
    )


async def expire_holds(conn: asyncpg.Connection, batch: int = 200, now: datetime | None = None) -> int:
    """The sweeper's pass: holds lapsed by `now` (None: the database's clock) end, units free, one
    `unit-released` (expired) each."""
    async with conn.transaction():
        ended = await store.expire_due_holds(conn, batch, now)
        for row in ended:
            await announce_release(conn, row, "expired")
    return len(ended)


async def next_hold_expiry(conn: asyncpg.Connection) -> datetime | None:
    """When the sweeper next has a hold to end."""
    return await store.next_hold_expiry(conn)


async def open_sale(conn: asyncpg.Connection, data: Any) -> str:
    """deposit-verified: reserve the unit and open a sale (runs inside the inbox transaction); never two sales."""
    hold_id, unit_id, deposit_id = uuid.UUID(data.hold_id), uuid.UUID(data.unit_id), str(data.deposit_id)
    hold_row = await store.hold(conn, hold_id, lock=True)  # the refund consumer locks it too: one at a time
    if hold_row is None or hold_row["unit_id"] != unit_id:
        raise ValueError(f"deposit-verified names hold {hold_id} that inventory never made for unit {unit_id}")
    opened_by = await store.deposit_of_sale_of_hold(conn, hold_id)
    if opened_by == deposit_id:
        return "already_open"
    if await store.refund_seen(conn, deposit_id):
        log("deposit_verified_after_refund", unit_id=str(unit_id), deposit_id=deposit_id)
        return "refunded_already"
    unit_row = await store.unit(conn, unit_id, lock=True)
    assert unit_row is not None  # the hold's unit exists (foreign key)
    sale_id = uuid.uuid4()
    # another deposit on this hold (refunded, then taken again) opened its one sale: this one is a conflict
    if opened_by is not None or not await _reserve(conn, hold_row, deposit_id, sale_id):
        await store.note_conflict(conn, hold_row, deposit_id)
        log(
            "deposit_conflict",
            unit_id=str(unit_id),
            hold_id=str(hold_id),
            deposit_id=deposit_id,
            unit_status=unit_row["status"],
            action="a manager must refund this deposit",
        )
        return "conflict"
    await store.convert_hold(conn, hold_id)
    await store.insert_sale(conn, sale_id, hold_row, deposit_id, unit_row["list_price"])
    return "reserved"


async def _reserve(conn: asyncpg.Connection, hold_row: asyncpg.Record, deposit_id: str, sale_id: uuid.UUID) -> bool:
    """The unit moves to reserved from its hold; if the hold lapsed while the deposit was being counted, only
    if nobody else has the unit meanwhile."""
    live = hold_row["state"] == "live"
    return await store.set_unit_status(
        conn,
        hold_row["unit_id"],
        "held" if live else "available",
        "reserved",
        reason="deposit_verified" if live else "deposit_verified_late",
        actor="payments",
        ref=deposit_id,
        sale_id=sale_id,
    )


async def close_sale_on_refund(conn: asyncpg.Connection, data: Any) -> str:
    """deposit-refunded: the sale it opened closes and the unit is free (reason refunded); or the live hold it
    was for ends; a recorded conflict is settled. Remembered, so a late deposit-verified opens nothing."""
    hold_id, deposit_id = uuid.UUID(data.hold_id), str(data.deposit_id)
    hold_row = await store.hold(conn, hold_id, lock=True)
    if await store.refund_seen(conn, deposit_id):
        return "already_refunded"
    outcome = await _undo_deposit(conn, hold_row, deposit_id) if hold_row is not None else "unknown_hold"
    if await store.settle_conflict(conn, deposit_id):
        outcome = "conflict_settled"
    await store.remember_refund(conn, deposit_id, hold_id, uuid.UUID(data.unit_id), outcome)
    return outcome


async def _undo_deposit(conn: asyncpg.Connection, hold_row: asyncpg.Record, deposit_id: str) -> str:
    sale_row = await store.open_sale_of_deposit(conn, hold_row["id"], deposit_id)  # this deposit's, not the hold's
    if sale_row is not None:
        if sale_row["status"] != UnitStatus.RESERVED.value:
            log("refund_after_subscription_ignored", sale_id=str(sale_row["id"]), status=sale_row["status"])
            return "ignored_after_subscription"
        await store.set_unit_status(
            conn,
            sale_row["unit_id"],
            "reserved",
            "available",
            reason="deposit_refunded",
            actor="payments",
            ref=deposit_id,
            clear_hold=True,
            clear_sale=True,
        )
        await store.update_sale(conn, sale_row["id"], "refunded", closed_at=now_utc())
        outcome = "sale_closed"
    elif await store.end_hold(conn, hold_row["id"], "released", "refund") is not None:
        outcome = "hold_released"
    else:
        return "nothing"
    await announce_release(conn, hold_row, "refunded")
    return outcome
