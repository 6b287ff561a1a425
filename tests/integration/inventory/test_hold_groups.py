"""Issue 13, group commit: one statement takes the units of many attempts — one attempt per unit, nothing for an
attempt that must not take its unit, and never two holds of one unit however the groups overlap (R19)."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from services.inventory import store
from services.inventory.store import take_units_with_events
from shared.messaging import topics
from shared.messaging.envelope import Envelope
from shared.messaging.outbox import outbox_row
from tests.support.inventory import known_customer, new_project, opening_live_at

AT = datetime(2031, 5, 1, 2, 0, tzinfo=UTC)  # a fixed instant: nothing here depends on today


def _take(pid: str, unit: str, customer: str, price: str = "1000000.00") -> tuple[store.HoldRow, object]:
    hold = store.HoldRow(
        uuid.uuid4(),
        uuid.UUID(unit),
        uuid.UUID(customer),
        "consultant-1",
        AT,
        AT + timedelta(minutes=30),
        Decimal(price),
    )
    data = {"hold_id": str(hold.hold_id), "unit_id": unit, "customer_id": customer, "consultant_id": "consultant-1"}
    data |= {"building": "B1", "number": "100", "expires_at": hold.expires_at, "list_price": hold.list_price}
    return hold, outbox_row(topics.UNIT_LOCKED, data, project_id=pid)


async def _counts(inventory, units: list[str]) -> dict[str, tuple[int, int, int]]:
    async with inventory.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT u.id::text AS id, (SELECT count(*) FROM holds h WHERE h.unit_id = u.id AND h.state = 'live'),"
            " (SELECT count(*) FROM unit_history x WHERE x.unit_id = u.id),"
            " (SELECT count(*) FROM outbox o WHERE o.key = u.id::text) FROM units u WHERE u.id = ANY($1::uuid[])",
            units,
        )
    return {r["id"]: (r[1], r[2], r[3]) for r in rows}


async def test_a_group_takes_each_unit_once_for_the_first_who_asked_r19(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=3)
    ids = [u["id"] for u in units]
    customers = [await known_customer(inventory, pid) for _ in range(4)]
    takes = [_take(pid, ids[0], customers[0]), _take(pid, ids[1], customers[1]), _take(pid, ids[0], customers[2])]
    takes.append(_take(pid, ids[2], customers[3]))
    async with inventory.pool.acquire() as conn:
        won = await take_units_with_events(conn, takes)
        payloads = await conn.fetch("SELECT key, payload FROM outbox WHERE key = ANY($1::text[])", ids)
    assert won == ["won", "won", "lost", "won"]
    assert await _counts(inventory, ids) == {i: (1, 1, 1) for i in ids}
    events = {row["key"]: Envelope.from_bytes(bytes(row["payload"])) for row in payloads}
    assert events[ids[0]].data["customer_id"] == customers[0] and events[ids[0]].project_id == pid


async def test_what_must_not_be_taken_is_not_while_the_rest_of_the_group_is(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=3)
    ids = [u["id"] for u in units]
    customer = await known_customer(inventory, pid)
    async with inventory.pool.acquire() as conn:
        assert await take_units_with_events(conn, [_take(pid, ids[0], customer)]) == ["won"]  # held already
        group = [_take(pid, ids[0], customer), _take(pid, ids[1], customer, "1.00"), _take(pid, ids[2], customer)]
        assert await take_units_with_events(conn, group) == ["undecided", "undecided", "won"]  # taken; repriced; free
    assert await _counts(inventory, ids) == {ids[0]: (1, 1, 1), ids[1]: (0, 0, 0), ids[2]: (1, 1, 1)}

    pid, units = await new_project(inventory, settings, units=1)
    customer = await known_customer(inventory, pid)
    async with inventory.pool.acquire() as conn:
        await opening_live_at(conn, pid, AT)
        assert await take_units_with_events(conn, [_take(pid, units[0]["id"], customer)]) == ["undecided"]  # issue 11
    assert await _counts(inventory, [units[0]["id"]]) == {units[0]["id"]: (0, 0, 0)}


async def test_overlapping_groups_at_once_never_hold_a_unit_twice_nor_wait_in_a_circle_r19(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=12)
    ids = [u["id"] for u in units]
    customers = [await known_customer(inventory, pid) for _ in range(24)]
    rng = random.Random(13)
    groups = [[_take(pid, unit, rng.choice(customers)) for unit in rng.sample(ids, 8)] for _ in range(24)]

    async def one(group):
        async with inventory.pool.acquire() as conn:
            return await take_units_with_events(conn, group)

    answers = await asyncio.wait_for(asyncio.gather(*(one(g) for g in groups)), 60)
    assert sum(won.count("won") for won in answers) == len(ids)  # every unit taken, each by exactly one attempt
    assert await _counts(inventory, ids) == {i: (1, 1, 1) for i in ids}
