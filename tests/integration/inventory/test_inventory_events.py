"""Inventory's consumers on real PostgreSQL: customers read model, deposit verified and refunded in any order,
conflicts that a manager settles by refund, and the append-only history (R19, R22, R35)."""

from __future__ import annotations

import uuid

import asyncpg
import orjson
import pytest

from services.inventory import consumers, use_cases
from shared.messaging import topics
from tests.support.apps import apply_event
from tests.support.auth import auth
from tests.support.inventory import deposit, hold, in_days, known_customer, new_project, refunded, unit_state, verified


async def a_held_unit(inventory, settings) -> tuple[str, str, str, str]:
    """A one-unit project whose unit a known customer holds: (project id, unit id, customer id, hold id)."""
    pid, units = await new_project(inventory, settings, units=1)
    uid, customer = units[0]["id"], await known_customer(inventory, pid)
    return pid, uid, customer, await hold(inventory, settings, pid, uid, customer)


async def released_reasons(inventory, uid: str) -> list[str]:
    async with inventory.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT payload FROM outbox WHERE topic = $1 AND key = $2 ORDER BY id", topics.UNIT_RELEASED.name, uid
        )
    return [orjson.loads(bytes(r["payload"]))["data"]["reason"] for r in rows]


async def expire_now(inventory, hold_id: str) -> None:
    async with inventory.pool.acquire() as conn:
        await conn.execute(
            "UPDATE holds SET expires_at = now() - interval '1 second' WHERE id = $1", uuid.UUID(hold_id)
        )
        while await use_cases.expire_holds(conn):
            pass


async def test_a_customer_registered_event_lets_the_customer_be_held_for(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=1)
    customer, url = str(uuid.uuid4()), f"/v1/units/{units[0]['id']}/holds"
    consultant = auth(settings, "consultant", pid)
    r = await inventory.client.post(url, json={"customer_id": customer}, headers=consultant)
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_customer"
    await apply_event(
        inventory,
        consumers.on_customer_registered,
        topics.CUSTOMER_REGISTERED,
        {"customer_id": customer, "owner_id": "consultant-1", "grade": "A"},
        pid,
    )
    other_project = str(uuid.uuid4())
    await apply_event(
        inventory,
        consumers.on_customer_registered,
        topics.CUSTOMER_REGISTERED,
        {"customer_id": str(uuid.uuid4()), "owner_id": "consultant-1"},
        other_project,
    )
    r = await inventory.client.post(url, json={"customer_id": customer}, headers=consultant)
    assert r.status_code == 201 and r.json()["customer_id"] == customer and r.json()["consultant_id"] == "consultant-1"


async def test_a_key_visitor_is_no_lead_and_nothing_is_held_for_them_r5(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=1)
    visitor = str(uuid.uuid4())
    data = {"customer_id": visitor, "owner_id": "consultant-1", "visitor_type": "competitor_peer", "key_visitor": True}
    await apply_event(inventory, consumers.on_customer_registered, topics.CUSTOMER_REGISTERED, data, pid)
    url, consultant = f"/v1/units/{units[0]['id']}/holds", auth(settings, "consultant", pid)
    r = await inventory.client.post(url, json={"customer_id": visitor}, headers=consultant)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_a_lead"
    assert (await unit_state(inventory, units[0]["id"]))["status"] == "available"


async def test_deposit_verified_reserves_and_the_sweeper_leaves_the_reservation_alone(inventory, settings) -> None:
    pid, uid, customer, hold_id = await a_held_unit(inventory, settings)
    data = deposit(uid, hold_id, customer)
    await verified(inventory, pid, data)
    await verified(inventory, pid, data)  # delivered again under a new event id: still one sale
    await expire_now(inventory, hold_id)
    state = await unit_state(inventory, uid)
    assert state["status"] == "reserved" and state["sale_id"] is not None
    async with inventory.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM sales WHERE unit_id = $1", uuid.UUID(uid)) == 1
        assert await conn.fetchval("SELECT state FROM holds WHERE id = $1", uuid.UUID(hold_id)) == "converted"
    body = (await inventory.client.get(f"/v1/units/{uid}", headers=auth(settings, "manager", pid))).json()
    assert body["hold"] is None and body["sale"]["status"] == "reserved" and body["sale"]["hold_id"] == hold_id
    assert body["sale"]["deposit_id"] == data["deposit_id"] and body["sale"]["price"] == "1000000.00"
    assert await released_reasons(inventory, uid) == []


async def test_a_deposit_verified_after_its_hold_lapsed_reserves_a_unit_still_free(inventory, settings) -> None:
    pid, uid, customer, hold_id = await a_held_unit(inventory, settings)
    await expire_now(inventory, hold_id)
    assert (await unit_state(inventory, uid))["status"] == "available"
    await verified(inventory, pid, deposit(uid, hold_id, customer))
    assert (await unit_state(inventory, uid))["status"] == "reserved"
    async with inventory.pool.acquire() as conn:
        reasons = await conn.fetch("SELECT reason FROM unit_history WHERE unit_id = $1 ORDER BY id", uuid.UUID(uid))
    assert [r["reason"] for r in reasons] == ["hold", "expired", "deposit_verified_late"]


async def test_a_late_deposit_for_a_unit_someone_else_holds_is_a_conflict_settled_by_refund(
    inventory, settings
) -> None:
    pid, units = await new_project(inventory, settings, units=1)
    uid = units[0]["id"]
    first, second = await known_customer(inventory, pid), await known_customer(inventory, pid, "consultant-2")
    lapsed = await hold(inventory, settings, pid, uid, first)
    await expire_now(inventory, lapsed)
    current = await hold(inventory, settings, pid, uid, second, sub="consultant-2")
    late = deposit(uid, lapsed, first)
    await verified(inventory, pid, late)
    await verified(inventory, pid, late)  # the same deposit told again under a new event id: still one conflict
    state = await unit_state(inventory, uid)
    assert state["status"] == "held" and state["hold_id"] == uuid.UUID(current) and state["sale_id"] is None
    url = f"/v1/projects/{pid}/conflicts"
    listed = (await inventory.client.get(url, headers=auth(settings, "manager", pid))).json()
    assert [(c["deposit_id"], c["hold_id"]) for c in listed] == [(late["deposit_id"], lapsed)]
    assert (await inventory.client.get(url, headers=auth(settings, "consultant", pid))).status_code == 403
    await refunded(inventory, pid, late)
    assert (await inventory.client.get(url, headers=auth(settings, "manager", pid))).json() == []
    assert (await unit_state(inventory, uid))["hold_id"] == uuid.UUID(current)  # the other customer keeps it


async def test_a_refund_frees_a_reserved_unit_and_closes_its_sale(inventory, settings) -> None:
    pid, uid, customer, hold_id = await a_held_unit(inventory, settings)
    data = deposit(uid, hold_id, customer)
    await verified(inventory, pid, data)
    sale_id = (await unit_state(inventory, uid))["sale_id"]
    await refunded(inventory, pid, data)
    await refunded(inventory, pid, data)  # twice: one release
    state = await unit_state(inventory, uid)
    assert (state["status"], state["hold_id"], state["sale_id"]) == ("available", None, None)
    assert await released_reasons(inventory, uid) == ["refunded"]
    async with inventory.pool.acquire() as conn:
        sale = await conn.fetchrow("SELECT status, closed_at FROM sales WHERE id = $1", sale_id)
    assert sale["status"] == "refunded" and sale["closed_at"] is not None
    await verified(inventory, pid, data)  # a stale redelivery of the verification opens nothing
    assert (await unit_state(inventory, uid))["status"] == "available"
    await hold(inventory, settings, pid, uid, await known_customer(inventory, pid))  # free for the next buyer


async def test_a_refund_that_overtakes_its_verification_leaves_no_sale(inventory, settings) -> None:
    pid, uid, customer, hold_id = await a_held_unit(inventory, settings)
    data = deposit(uid, hold_id, customer)
    await refunded(inventory, pid, data)
    await verified(inventory, pid, data)
    state = await unit_state(inventory, uid)
    assert (state["status"], state["sale_id"]) == ("available", None)
    assert await released_reasons(inventory, uid) == ["refunded"]
    async with inventory.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM sales WHERE unit_id = $1", uuid.UUID(uid)) == 0


async def test_a_late_refund_of_an_earlier_deposit_leaves_the_next_deposits_sale_alone(inventory, settings) -> None:
    """Payments refunds deposit A while it waits for verification and takes B on the same hold; B's verification
    arrives before A's refund. The refund is A's: B's sale stays (found by the state machine, R19)."""
    pid, uid, customer, hold_id = await a_held_unit(inventory, settings)
    first, second = deposit(uid, hold_id, customer), deposit(uid, hold_id, customer)
    await verified(inventory, pid, second)
    sale_id = (await unit_state(inventory, uid))["sale_id"]
    await refunded(inventory, pid, first)
    state = await unit_state(inventory, uid)
    assert (state["status"], state["sale_id"]) == ("reserved", sale_id)
    assert await released_reasons(inventory, uid) == []
    await refunded(inventory, pid, second)
    assert (await unit_state(inventory, uid))["status"] == "available"


async def test_a_second_deposit_verified_on_a_hold_with_a_sale_is_a_conflict(inventory, settings) -> None:
    """A opened the hold's sale; payments refunded A and took B on the same hold before the refund reached
    inventory. B cannot open a second sale for the hold: it is a conflict a manager sees and refunds, never
    silently dropped (found by the state machine, R19)."""
    pid, uid, customer, hold_id = await a_held_unit(inventory, settings)
    first, second = deposit(uid, hold_id, customer), deposit(uid, hold_id, customer)
    await verified(inventory, pid, first)
    await verified(inventory, pid, second)
    url, manager = f"/v1/projects/{pid}/conflicts", auth(settings, "manager", pid)
    listed = (await inventory.client.get(url, headers=manager)).json()
    assert [c["deposit_id"] for c in listed] == [second["deposit_id"]]
    await refunded(inventory, pid, first)
    assert (await unit_state(inventory, uid))["status"] == "available"
    await refunded(inventory, pid, second)
    assert (await inventory.client.get(url, headers=manager)).json() == []


async def test_a_refund_after_the_subscription_does_not_unseal_the_unit(inventory, settings) -> None:
    pid, uid, customer, hold_id = await a_held_unit(inventory, settings)
    data = deposit(uid, hold_id, customer)
    await verified(inventory, pid, data)
    sale_id = (await unit_state(inventory, uid))["sale_id"]
    r = await inventory.client.post(
        f"/v1/sales/{sale_id}/subscription",
        headers=auth(settings, "manager", pid),
        json={"buyer_signed": True, "down_payment": {"amount": "300000.00", "due_date": in_days(30)}},
    )
    assert r.status_code == 200, r.text
    await refunded(inventory, pid, data)
    assert (await unit_state(inventory, uid))["status"] == "subscribed"


async def test_history_is_append_only_r35(inventory, settings) -> None:
    _, uid, _, _ = await a_held_unit(inventory, settings)
    async with inventory.pool.acquire() as conn:
        for sql in (
            "UPDATE unit_history SET reason = 'edited' WHERE unit_id = $1",
            "DELETE FROM unit_history WHERE unit_id = $1",
        ):
            with pytest.raises(asyncpg.PostgresError, match="append-only"):
                await conn.execute(sql, uuid.UUID(uid))
        with pytest.raises(asyncpg.PostgresError, match="append-only"):
            await conn.execute("TRUNCATE unit_history")
        assert await conn.fetchval("SELECT count(*) FROM unit_history WHERE unit_id = $1", uuid.UUID(uid)) == 1
