"""Issue 19: holds outside the opening's order. From the draw (which closes entry when it was not closed before:
issue 25, tests/integration/inventory/test_fair_openings.py) a hold in the project follows the opening's rules;
when the opening goes live, holds that exist and belong to no entrant's window are released (`unit-released`,
reason `opening`) — exactly once, however many inventory processes look — unless sales control kept the unit out
of the opening, on record with who and why. A unit reserved (its deposit verified) is a sale under way, not a hold:
it stays."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from services.inventory import use_cases
from services.inventory.domain.openings import OpeningStarted, WindowNotOpen
from services.inventory.use_cases import HoldUnit
from services.inventory.use_cases.opening_gate import keep_out, let_openings_go_live
from services.inventory.use_cases.openings import opening_in_reach
from shared.messaging.topics import UNIT_RELEASED
from tests.support.auth import auth
from tests.support.inventory import deposit, hold_desk, known_customer, new_project, unit_state, verified
from tests.support.openings import join_and_draw, opening_made_before
from tests.support.polling import async_wait_for

pytestmark = pytest.mark.timeout(90)
T = datetime(2031, 3, 1, 2, 0, tzinfo=UTC)  # the opening starts here: a fixed clock, far from the service's own


async def _hold_at(inventory, unit: dict, customer: str, at: datetime) -> dict:
    command = HoldUnit(uuid.UUID(unit["id"]), uuid.UUID(customer), "sales_control-1")
    return await use_cases.hold_unit(hold_desk(inventory), command, now=at)


async def _go_live_in_two_processes(inventory, at: datetime) -> None:
    """Two inventory processes' jobs at once, each passing until it finds no opening due (as the periodic job)."""

    async def job() -> None:
        async with inventory.pool.acquire() as conn:
            while await let_openings_go_live(conn, now=at):
                pass

    await asyncio.gather(job(), job())


async def _released_for_opening(inventory, units: list[dict]) -> dict[str, int]:
    async with inventory.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT key, payload FROM outbox WHERE topic = $1 AND key = ANY($2::text[])",
            UNIT_RELEASED.name,
            [u["id"] for u in units],
        )
    reasons = [(r["key"], orjson.loads(r["payload"])["data"]["reason"]) for r in rows]
    return {u["id"]: reasons.count((u["id"], "opening")) for u in units}


async def _kept_out_by_api(inventory, settings, pid: str, oid: str, unit_id: str, reason: str):
    return await inventory.client.post(
        f"/v1/openings/{oid}/kept-out",
        json={"unit_id": unit_id, "reason": reason},
        headers=auth(settings, "sales_control", pid),
    )


async def test_going_live_releases_the_holds_outside_the_order_once(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=5)
    entrants = [await known_customer(inventory, pid) for _ in range(2)]
    outsiders = [await known_customer(inventory, pid) for _ in range(3)]
    oid = (await opening_made_before(inventory, pid, T, window_minutes=10, batch_size=1, units_per_buyer=2))["id"]
    # before the draw, shortly before the start: holds as on any day
    outside = await _hold_at(inventory, units[0], outsiders[0], T - timedelta(minutes=10))
    early = await _hold_at(inventory, units[1], entrants[0], T - timedelta(minutes=10))  # an entrant, out of turn
    kept = await _hold_at(inventory, units[2], outsiders[1], T - timedelta(minutes=10))
    bought = await _hold_at(inventory, units[3], outsiders[2], T - timedelta(minutes=20))
    await verified(inventory, pid, deposit(units[3]["id"], bought["hold_id"], outsiders[2]))
    kept_out = await _kept_out_by_api(inventory, settings, pid, oid, units[2]["id"], "promised to the bank's staff")
    assert kept_out.status_code == 201, kept_out.text
    order = [p["customer_id"] for p in (await join_and_draw(inventory, settings, pid, oid, entrants))["order"]]
    with pytest.raises(WindowNotOpen):  # entry closed: from now on the project's holds follow the opening's rules
        await _hold_at(inventory, units[4], outsiders[0], T - timedelta(minutes=5))
    in_turn = await _hold_at(inventory, units[4], order[0], T + timedelta(minutes=1))  # the first window
    await _go_live_in_two_processes(inventory, T + timedelta(minutes=2))
    states = [(await unit_state(inventory, u["id"]))["status"] for u in units]
    assert states == ["available", "available", "held", "reserved", "held"]
    assert await _released_for_opening(inventory, units) == {u["id"]: int(i < 2) for i, u in enumerate(units)}
    async with inventory.pool.acquire() as conn:
        ended = await conn.fetch(
            "SELECT id, state, ended_by FROM holds WHERE id = ANY($1::uuid[])",
            [uuid.UUID(h["hold_id"]) for h in (outside, early, kept, in_turn)],
        )
    by_id = {str(r["id"]): (r["state"], r["ended_by"]) for r in ended}
    assert by_id[outside["hold_id"]] == by_id[early["hold_id"]] == ("released", f"opening:{oid}")
    assert by_id[kept["hold_id"]] == by_id[in_turn["hold_id"]] == ("live", None)
    seen = (await inventory.client.get(f"/v1/openings/{oid}", headers=auth(settings, "finance", pid))).json()
    assert datetime.fromisoformat(seen["went_live_at"]) == T + timedelta(minutes=2)
    assert [(k["unit_id"], k["number"], k["reason"], k["kept_by"]) for k in seen["kept_out"]] == [
        (units[2]["id"], units[2]["number"], "promised to the bank's staff", "sales_control-1")
    ]
    await _go_live_in_two_processes(inventory, T + timedelta(minutes=3))  # a restart, another pass: nothing again
    assert await _released_for_opening(inventory, units) == {u["id"]: int(i < 2) for i, u in enumerate(units)}


async def test_a_unit_kept_out_is_recorded_once_before_the_opening_starts(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=2)
    _, others = await new_project(inventory, settings, units=1)
    oid = (await opening_made_before(inventory, pid, T))["id"]
    first = await _kept_out_by_api(inventory, settings, pid, oid, units[0]["id"], "the show flat")
    assert first.status_code == 201, first.text
    assert first.json()["kept_by"] == "sales_control-1" and first.json()["reason"] == "the show flat"
    again = await _kept_out_by_api(inventory, settings, pid, oid, units[0]["id"], "another reason")
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_kept_out"
    foreign = await _kept_out_by_api(inventory, settings, pid, oid, others[0]["id"], "not ours")
    assert foreign.status_code == 422 and foreign.json()["error"]["code"] == "unknown_unit"
    unknown = await _kept_out_by_api(inventory, settings, pid, oid, str(uuid.uuid4()), "no such unit")
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_unit"
    blank = await _kept_out_by_api(inventory, settings, pid, oid, units[1]["id"], "")
    assert blank.status_code == 422  # who and why, always
    consultant = auth(settings, "consultant", pid)
    body = {"unit_id": units[1]["id"], "reason": "mine"}
    assert (
        await inventory.client.post(f"/v1/openings/{oid}/kept-out", json=body, headers=consultant)
    ).status_code == 403
    async with inventory.pool.acquire() as conn:
        opening = await opening_in_reach(conn, uuid.UUID(oid), lambda _: None)
        with pytest.raises(OpeningStarted):  # from its start on, the opening's units are settled
            await keep_out(conn, opening, uuid.UUID(units[1]["id"]), "too late", "sales_control-1", now=T)
    seen = (await inventory.client.get(f"/v1/openings/{oid}", headers=consultant)).json()
    assert [k["unit_id"] for k in seen["kept_out"]] == [units[0]["id"]] and seen["went_live_at"] is None
    await join_and_draw(inventory, settings, pid, oid, [await known_customer(inventory, pid)])
    outsider = await known_customer(inventory, pid)
    with pytest.raises(WindowNotOpen):  # the opening's rule, from the draw...
        await _hold_at(inventory, units[1], outsider, T - timedelta(minutes=5))
    held = await _hold_at(inventory, units[0], outsider, T - timedelta(minutes=5))  # ...but not on a kept-out unit
    assert held["unit_id"] == units[0]["id"]


async def test_the_services_own_job_lets_an_opening_go_live(inventory, settings) -> None:
    """The periodic job of the running service, on the real clock: an opening that has just started."""
    pid, units = await new_project(inventory, settings, units=1)
    entrant, outsider = await known_customer(inventory, pid), await known_customer(inventory, pid)
    hold = await inventory.client.post(
        f"/v1/units/{units[0]['id']}/holds", json={"customer_id": outsider}, headers=auth(settings, "consultant", pid)
    )
    assert hold.status_code == 201, hold.text
    starts = datetime.now(UTC) + timedelta(seconds=1)
    oid = (await opening_made_before(inventory, pid, starts))["id"]
    await join_and_draw(inventory, settings, pid, oid, [entrant])

    async def released() -> bool:
        return (await unit_state(inventory, units[0]["id"]))["status"] == "available"

    await async_wait_for(released, timeout=30, what="the job released the hold when the opening went live")
    assert await _released_for_opening(inventory, units) == {units[0]["id"]: 1}
