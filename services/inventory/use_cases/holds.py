"""Inventory use cases for a hold once taken (taking one is `taking`): released by a person, expired by the sweeper,
and the `unit-released` either announces. Each writes rows and outbox events in one transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.inventory import store
from services.inventory.domain import InvalidTransition
from shared.kernel.errors import NotFound
from shared.messaging import topics
from shared.messaging.outbox import add_event


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
