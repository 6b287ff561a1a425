"""R5 across leads and inventory, on real PostgreSQL: a customer re-typed in leads as a key visitor after
registration gets no holds in inventory (409 `not_a_lead`), and re-typed back may be held for again; the events
are the ones leads wrote to its outbox, handed to inventory's handlers as the inbox would."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.inventory import consumers
from services.leads.app import build_spec as leads_spec
from shared.messaging import topics
from shared.messaging.envelope import Envelope, new_envelope
from shared.messaging.outbox import unseal
from shared.messaging.topics import Topic
from tests.support.apps import running_app
from tests.support.auth import auth
from tests.support.inventory import new_project


@pytest.fixture(scope="module")
async def leads(settings):
    async with running_app(leads_spec(), settings) as svc:
        yield svc


async def _deliver(leads, inventory, topic: Topic, handler, customer_id: str) -> int:
    """Every event leads wrote for the customer on `topic`, oldest first, applied by inventory's handler."""
    async with leads.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT payload FROM outbox WHERE topic = $1 AND key = $2 ORDER BY id", topic.name, customer_id
        )
    for row in rows:
        env = Envelope.from_bytes(unseal(row["payload"]))
        async with inventory.pool.acquire() as conn, conn.transaction():
            await handler(conn, env, topic.data_model.model_validate(env.data))
    return len(rows)


async def _hold(inventory, settings, pid: str, uid: str, customer: str):
    headers = auth(settings, "consultant", pid, "c-a")
    return await inventory.client.post(f"/v1/units/{uid}/holds", json={"customer_id": customer}, headers=headers)


async def test_a_customer_retyped_as_key_visitor_gets_no_hold_and_retyped_back_does_r5(
    leads, inventory, settings
) -> None:
    pid, units = await new_project(inventory, settings, units=1)
    body = {"project_id": pid, "name": "Sun Staff", "phone": "13911112222", "source": "walk_in"}
    owner = auth(settings, "consultant", pid, "c-a")
    cid = (await leads.client.post("/v1/customers", json=body, headers=owner)).json()["id"]
    assert await _deliver(leads, inventory, topics.CUSTOMER_REGISTERED, consumers.on_customer_registered, cid) == 1
    url = f"/v1/customers/{cid}"
    assert (await leads.client.patch(url, json={"visitor_type": "developer_staff"}, headers=owner)).status_code == 200
    assert await _deliver(leads, inventory, topics.VISITOR_TYPE_CHANGED, consumers.on_visitor_type_changed, cid) == 1
    refused = await _hold(inventory, settings, pid, units[0]["id"], cid)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_a_lead"
    assert (await leads.client.patch(url, json={"visitor_type": "customer"}, headers=owner)).status_code == 200
    # both events again, the first one replayed: inventory applies each once in effect, the later change wins
    assert await _deliver(leads, inventory, topics.VISITOR_TYPE_CHANGED, consumers.on_visitor_type_changed, cid) == 2
    held = await _hold(inventory, settings, pid, units[0]["id"], cid)
    assert held.status_code == 201, held.text


async def _changed(inventory, pid: str, customer: str, key_visitor: bool, at: datetime) -> None:
    data = {"customer_id": customer, "project_id": pid, "visitor_type": "x", "key_visitor": key_visitor}
    data["changed_by"] = "c-a"
    env = new_envelope("visitor-type-changed", data, producer="leads", project_id=pid).model_copy(
        update={"occurred_at": at}
    )
    async with inventory.pool.acquire() as conn, conn.transaction():
        await consumers.on_visitor_type_changed(conn, env, topics.VisitorTypeChangedData.model_validate(data))


async def test_a_late_visitor_type_change_never_undoes_a_later_one_nor_the_registration_r5(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=1)
    customer, now = str(uuid.uuid4()), datetime.now(UTC)
    await _changed(inventory, pid, customer, True, now)  # heard before the registration
    registered = {"customer_id": customer, "owner_id": "c-a", "visitor_type": "customer", "key_visitor": False}
    env = new_envelope("customer-registered", registered, producer="leads", project_id=pid)
    async with inventory.pool.acquire() as conn, conn.transaction():
        await consumers.on_customer_registered(conn, env, topics.CustomerRegisteredData.model_validate(registered))
    refused = await _hold(inventory, settings, pid, units[0]["id"], customer)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "not_a_lead"
    await _changed(inventory, pid, customer, False, now + timedelta(seconds=1))
    await _changed(inventory, pid, customer, True, now)  # the older change, delivered late
    assert (await _hold(inventory, settings, pid, units[0]["id"], customer)).status_code == 201
