"""Issue 13: the hold, its history and its event as one statement — and nothing at all when it must not take the
unit, so the transactional path decides (R19, R35, issue 11)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import asyncpg
import pytest
from prometheus_client import REGISTRY

from services.inventory import store, use_cases
from services.inventory.domain import UnitNotAvailable
from services.inventory.use_cases import HoldUnit
from shared.messaging import topics
from shared.messaging.envelope import Envelope
from shared.messaging.outbox import outbox_row
from tests.support.inventory import hold_desk, known_customer, new_project, opening_live_at

AT = datetime(2031, 5, 1, 2, 0, tzinfo=UTC)  # a fixed instant: nothing here depends on today


async def _asked(inventory, settings, price: str = "1000000.00") -> tuple[str, store.HoldRow]:
    pid, units = await new_project(inventory, settings, units=1)
    customer = await known_customer(inventory, pid)
    hold = store.HoldRow(
        uuid.uuid4(),
        uuid.UUID(units[0]["id"]),
        uuid.UUID(customer),
        "consultant-1",
        AT,
        AT + timedelta(minutes=30),
        Decimal(price),
    )
    return pid, hold


def _event(pid: str, hold: store.HoldRow):
    data = {"hold_id": str(hold.hold_id), "unit_id": str(hold.unit_id), "customer_id": str(hold.customer_id)}
    data |= {"consultant_id": hold.consultant_id, "building": "B1", "number": "100"}
    data |= {"expires_at": hold.expires_at, "list_price": hold.list_price}
    return outbox_row(topics.UNIT_LOCKED, data, project_id=pid)


async def _written(inventory, hold: store.HoldRow) -> tuple[int, int, int, str]:
    async with inventory.pool.acquire() as conn:
        return tuple(
            await conn.fetchrow(
                "SELECT (SELECT count(*) FROM holds WHERE unit_id = $1), (SELECT count(*) FROM unit_history"
                " WHERE unit_id = $1), (SELECT count(*) FROM outbox WHERE key = $1::text),"
                " (SELECT status FROM units WHERE id = $1)",
                hold.unit_id,
            )
        )


async def test_one_statement_takes_the_unit_with_its_hold_history_and_event_r19_r35(inventory, settings) -> None:
    pid, hold = await _asked(inventory, settings)
    event = _event(pid, hold)
    async with inventory.pool.acquire() as conn:
        assert await store.take_unit_with_event(conn, hold, event)
        assert not await store.take_unit_with_event(conn, hold._replace(hold_id=uuid.uuid4()), _event(pid, hold))
        row = await conn.fetchrow("SELECT created_at, expires_at, state FROM holds WHERE id = $1", hold.hold_id)
        payload = await conn.fetchval("SELECT payload FROM outbox WHERE event_id = $1", event.envelope.id)
    assert await _written(inventory, hold) == (1, 1, 1, "held")
    assert (row["created_at"], row["expires_at"], row["state"]) == (AT, AT + timedelta(minutes=30), "live")
    published = Envelope.from_bytes(bytes(payload))
    assert published.type == topics.UNIT_LOCKED.event_type and published.project_id == pid
    assert topics.UNIT_LOCKED.data_model.model_validate(published.data).list_price == Decimal("1000000.00")


async def test_a_changed_price_or_a_live_opening_takes_nothing_and_the_transaction_decides(inventory, settings) -> None:
    pid, stale = await _asked(inventory, settings, price="990000.00")  # the price moved after it was read
    async with inventory.pool.acquire() as conn:
        assert not await store.take_unit_with_event(conn, stale, _event(pid, stale))
    assert await _written(inventory, stale) == (0, 0, 0, "available")

    pid, hold = await _asked(inventory, settings)
    async with inventory.pool.acquire() as conn:
        await opening_live_at(conn, pid, AT)
        assert not await store.take_unit_with_event(conn, hold, _event(pid, hold))
    assert await _written(inventory, hold) == (0, 0, 0, "available")


async def test_when_the_statement_takes_nothing_the_transaction_tells_the_truth_r19(
    inventory, settings, monkeypatch
) -> None:
    taken_by_another = store.take_unit_with_event

    async def lost(conn, hold, event):  # the statement took nothing: say, the unit's price moved meanwhile
        return False

    async def overtaken(conn, hold, event):  # another consultant's statement won the unit a moment earlier
        other = hold._replace(hold_id=uuid.uuid4())
        assert await taken_by_another(conn, other, _event(str(event.envelope.project_id), other))
        return False

    alone = hold_desk(inventory, reads_together=False)  # each attempt reads and takes on a connection of its own
    pid, hold = await _asked(inventory, settings)
    command = HoldUnit(hold.unit_id, hold.customer_id, hold.consultant_id)
    monkeypatch.setattr(store, "take_unit_with_event", lost)
    held = await use_cases.hold_unit(alone, command, now=AT)
    assert held["expires_at"] == (AT + timedelta(minutes=30)).isoformat() and held["list_price"] == "1000000.00"
    assert await _written(inventory, hold) == (1, 1, 1, "held")

    pid, hold = await _asked(inventory, settings)
    command = HoldUnit(hold.unit_id, hold.customer_id, hold.consultant_id)
    monkeypatch.setattr(store, "take_unit_with_event", overtaken)
    with pytest.raises(UnitNotAvailable):
        await use_cases.hold_unit(alone, command, now=AT)
    assert await _written(inventory, hold) == (1, 1, 1, "held")  # the other's hold only


async def test_what_a_group_does_not_decide_each_attempt_decides_alone_r19(inventory, settings, monkeypatch) -> None:
    """The group's take left the attempt undecided (its unit repriced meanwhile, say) or failed (a deadlock
    PostgreSQL broke): the attempt decides alone, from a fresh read or in its own transaction."""

    async def undecided(conn, takes):
        return ["undecided"] * len(takes)

    async def deadlocked(conn, takes):
        raise asyncpg.DeadlockDetectedError("deadlock detected")

    def failures() -> float:
        return REGISTRY.get_sample_value("estate_hold_group_failures_total", {"service": "inventory"}) or 0.0

    for group, failed in ((undecided, 0.0), (deadlocked, 1.0)):
        monkeypatch.setattr(store, "take_units_with_events", group)
        desk = hold_desk(inventory)  # every lever on: the attempt's take goes to the group statement patched above
        pid, hold = await _asked(inventory, settings)
        before = failures()
        held = await use_cases.hold_unit(desk, HoldUnit(hold.unit_id, hold.customer_id, hold.consultant_id), now=AT)
        assert held["expires_at"] == (AT + timedelta(minutes=30)).isoformat(), group
        assert await _written(inventory, hold) == (1, 1, 1, "held"), group
        assert failures() - before == failed, group


async def test_attempts_read_together_see_what_each_would_see_alone(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=2)
    mine, other_project = await known_customer(inventory, pid), await known_customer(inventory, pid, "consultant-2")
    asks = [
        (uuid.UUID(units[0]["id"]), uuid.UUID(mine), AT),
        (uuid.uuid4(), uuid.UUID(mine), AT),  # no such unit
        (uuid.UUID(units[1]["id"]), uuid.uuid4(), AT),  # a customer inventory never heard of
        (uuid.UUID(units[1]["id"]), uuid.UUID(other_project), AT),
        (uuid.UUID(units[0]["id"]), uuid.UUID(mine), AT),  # the same ask twice
    ]
    async with inventory.pool.acquire() as conn:
        together = await store.hold_contexts(conn, asks)
        alone = [await store.hold_context(conn, *ask) for ask in asks]

    def seen(rows):  # `n` numbers the asks of one statement: each answer without it
        return [None if row is None else {k: v for k, v in row.items() if k != "n"} for row in rows]

    assert seen(together) == seen(alone)
    assert together[1] is None and together[2]["key_visitor"] is None and together[3]["owner_id"] == "consultant-2"
