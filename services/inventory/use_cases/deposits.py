"""Inventory use cases for what a deposit does to a hold (payments' events, inside the inbox transaction): verified,
the unit is reserved and a sale opens; refunded, the sale closes or the hold ends and the unit is free."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.inventory import store
from services.inventory.domain import UnitStatus
from services.inventory.use_cases.holds import announce_release
from shared.kernel.clock import now_utc
from shared.runtime.logs import log


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


async def open_conflicts(conn: asyncpg.Connection, project_id: uuid.UUID) -> list[asyncpg.Record]:
    """Deposits verified for units someone else had, each waiting for a manager's refund."""
    return list(await store.open_conflicts(conn, project_id))
