"""Issue 11, the board feed on real PostgreSQL: unit changes are numbered in the order their commits became visible
(not in id order), and a viewer receives each change once — live, and again after a resume from a number."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.inventory.feed import feed_of
from services.inventory.store import board
from tests.support.auth import auth
from tests.support.inventory import hold, known_customer, new_project

DEADLINE = 10.0  # seconds to wait for an event that must come (a hang becomes a failure, not a stuck suite)


async def _history(conn, pid: str, uid: str, to_status: str) -> None:
    await conn.execute(
        "INSERT INTO unit_history (unit_id, project_id, from_status, to_status, reason) VALUES ($1,$2,'x',$3,'test')",
        uuid.UUID(uid),
        uuid.UUID(pid),
        to_status,
    )


async def test_changes_are_numbered_in_commit_order_not_id_order(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=2)
    first, second = units[0]["id"], units[1]["id"]
    async with inventory.pool.acquire() as early, inventory.pool.acquire() as late:
        slow = early.transaction()
        await slow.start()
        await _history(early, pid, first, "held")  # the smaller id, committed last
        async with late.transaction():
            await _history(late, pid, second, "held")
        async with inventory.pool.acquire() as conn:
            seen = await board.changes_after(conn, 0, uuid.UUID(pid))
            await board.sequence_changes(conn)
            after_late = await board.changes_after(conn, 0, uuid.UUID(pid))
        await slow.commit()
    async with inventory.pool.acquire() as conn:
        await board.sequence_changes(conn)
        resumed = await board.changes_after(conn, after_late[-1]["board_seq"], uuid.UUID(pid))
    assert seen == [] or all(r["unit_id"] != uuid.UUID(first) for r in seen)
    assert [str(r["unit_id"]) for r in after_late if r["to_status"] == "held"][-1] == second
    assert [str(r["unit_id"]) for r in resumed] == [first]  # a viewer who saw `second` still gets `first`


async def test_a_viewer_gets_each_change_once_live_and_after_a_resume(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=3)
    feed = feed_of(inventory.app.state.runtime)
    async with inventory.pool.acquire() as conn:
        live = feed.events(uuid.UUID(pid), await board.board_head(conn))
    customer = await known_customer(inventory, pid)
    waiting = asyncio.ensure_future(anext(live))
    await hold(inventory, settings, pid, units[0]["id"], customer)
    first = await asyncio.wait_for(waiting, DEADLINE)
    await live.aclose()
    assert first["event"] == "unit" and f'"unit_id":"{units[0]["id"]}"' in first["data"] and '"held"' in first["data"]
    for unit in units[1:]:
        await hold(inventory, settings, pid, unit["id"], customer)
    resumed = feed.events(uuid.UUID(pid), int(first["id"]))
    got = [await asyncio.wait_for(anext(resumed), DEADLINE) for _ in units[1:]]
    await resumed.aclose()
    assert [g["data"].split('"unit_id":"')[1][:36] for g in got] == [u["id"] for u in units[1:]]
    assert len({g["id"] for g in got}) == 2 and min(int(g["id"]) for g in got) > int(first["id"])


async def test_the_history_stays_append_only_once_numbered_r35(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=1)
    async with inventory.pool.acquire() as conn:
        await _history(conn, pid, units[0]["id"], "held")
        await board.sequence_changes(conn)
        row = await conn.fetchrow(
            "SELECT id, board_seq FROM unit_history WHERE unit_id = $1", uuid.UUID(units[0]["id"])
        )
        for change in ("board_seq = board_seq + 1", "board_seq = NULL", "reason = 'edited'"):
            with pytest.raises(asyncpg.PostgresError, match="append-only"):
                await conn.execute(f"UPDATE unit_history SET {change} WHERE id = $1", row["id"])


async def test_the_board_carries_the_drawn_openings_schedule_for_its_batch_line(inventory, settings) -> None:
    pid, _ = await new_project(inventory, settings, units=1)
    manager = auth(settings, "manager", pid)
    starts = (datetime.now(UTC) + timedelta(days=1)).replace(microsecond=0)
    body = {"starts_at": starts.isoformat(), "window_minutes": 30, "batch_size": 2, "units_per_buyer": 1}
    made = await inventory.client.post(f"/v1/projects/{pid}/openings", json=body, headers=manager)
    oid = made.json()["id"]
    assert (await _board(inventory, pid, manager))["opening"] is None  # not drawn: nothing to show yet
    customers = [await known_customer(inventory, pid) for _ in range(3)]
    sales_control = auth(settings, "sales_control", pid)
    added = await inventory.client.post(
        f"/v1/openings/{oid}/entrants", json={"customer_ids": customers}, headers=sales_control
    )
    assert added.status_code == 200, added.text
    assert (await inventory.client.post(f"/v1/openings/{oid}/draw", json={}, headers=manager)).status_code == 200
    shown = (await _board(inventory, pid, manager))["opening"]
    assert shown == {"id": oid, "starts_at": starts.isoformat(), "window_minutes": 30, "batch_size": 2, "entrants": 3}


async def _board(inventory, pid: str, headers: dict[str, str]) -> dict:
    answer = await inventory.client.get(f"/v1/projects/{pid}/board", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()
