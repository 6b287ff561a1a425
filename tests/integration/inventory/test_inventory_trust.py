"""Issue 8 in inventory, on real PostgreSQL: saved quotes set the sale's price (R21), 退订, who sees whom, the
project checked first, strict money and rows, sane dates, and the unit list paged."""

from __future__ import annotations

import uuid

import orjson
import pytest

from shared.messaging import topics
from tests.support.auth import auth
from tests.support.inventory import deposit, hold, in_days, known_customer, new_project, refunded, unit_state, verified


async def reserved_sale(inventory, settings) -> tuple[str, str, str, dict]:
    """A project with a unit reserved by a verified deposit: (pid, unit id, sale id, the deposit event)."""
    pid, units = await new_project(inventory, settings, units=2)
    uid, customer = units[0]["id"], await known_customer(inventory, pid)
    data = deposit(uid, await hold(inventory, settings, pid, uid, customer), customer)
    await verified(inventory, pid, data)
    unit = (await inventory.client.get(f"/v1/units/{uid}", headers=auth(settings, "manager", pid))).json()
    return pid, uid, unit["sale_id"], data


def _subscription(**extra) -> dict:
    return {"buyer_signed": True, "down_payment": {"amount": "300000.00", "due_date": in_days(20)}, **extra}


async def _events(inventory, topic: topics.Topic, key: str) -> list[dict]:
    async with inventory.pool.acquire() as conn:
        rows = await conn.fetch("SELECT payload FROM outbox WHERE topic = $1 AND key = $2 ORDER BY id", topic.name, key)
    return [orjson.loads(bytes(r["payload"]))["data"] for r in rows]


async def test_a_saved_quote_sets_the_price_of_the_subscription_r21(inventory, settings) -> None:
    pid, uid, sale, _ = await reserved_sale(inventory, settings)
    manager = auth(settings, "manager", pid)
    quote = (
        await inventory.client.post(
            f"/v1/units/{uid}/quote", json={"discount": "50000.00"}, headers=auth(settings, "consultant", pid)
        )
    ).json()
    assert quote["quote_id"] and quote["price"] == "950000.00" and quote["expires_at"]
    unknown = await inventory.client.post(
        f"/v1/sales/{sale}/subscription", headers=manager, json=_subscription(quote_id=str(uuid.uuid4()))
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_quote"
    r = await inventory.client.post(
        f"/v1/sales/{sale}/subscription", json=_subscription(quote_id=quote["quote_id"]), headers=manager
    )
    assert r.status_code == 200 and r.json()["price"] == "950000.00"
    assert [e["price"] for e in await _events(inventory, topics.SUBSCRIPTION_SIGNED, uid)] == ["950000.00"]


async def test_an_expired_quote_or_another_units_is_refused(inventory, settings) -> None:
    pid, uid, sale, _ = await reserved_sale(inventory, settings)
    units = (await inventory.client.get(f"/v1/projects/{pid}/units", headers=auth(settings, "manager", pid))).json()
    other = next(u["id"] for u in units if u["id"] != uid)
    elsewhere = await inventory.client.post(f"/v1/units/{other}/quote", json={}, headers=auth(settings, "manager", pid))
    mine = await inventory.client.post(f"/v1/units/{uid}/quote", json={}, headers=auth(settings, "manager", pid))
    async with inventory.pool.acquire() as conn:
        await conn.execute(
            "UPDATE quotes SET expires_at = now() - interval '1 second' WHERE id = $1",
            uuid.UUID(mine.json()["quote_id"]),
        )
    for quote_id in (elsewhere.json()["quote_id"], mine.json()["quote_id"]):
        r = await inventory.client.post(
            f"/v1/sales/{sale}/subscription",
            json=_subscription(quote_id=quote_id),
            headers=auth(settings, "manager", pid),
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_quote"


@pytest.mark.parametrize("subscribed", [False, True])
async def test_a_cancelled_sale_frees_the_unit_and_says_so(inventory, settings, subscribed) -> None:
    pid, uid, sale, data = await reserved_sale(inventory, settings)
    manager = auth(settings, "manager", pid)
    if subscribed:
        assert (
            await inventory.client.post(f"/v1/sales/{sale}/subscription", json=_subscription(), headers=manager)
        ).status_code == 200
    r = await inventory.client.post(
        f"/v1/sales/{sale}/cancellation", json={"reason": "buyer withdrew"}, headers=manager
    )
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    state = await unit_state(inventory, uid)
    assert state["status"] == "available" and state["sale_id"] is None
    assert [(e["sale_id"], e["reason"]) for e in await _events(inventory, topics.SALE_CANCELLED, uid)] == [
        (sale, "buyer withdrew")
    ]
    again = await inventory.client.post(f"/v1/sales/{sale}/cancellation", json={"reason": "x"}, headers=manager)
    assert again.status_code == 409 and again.json()["error"]["code"] == "invalid_transition"
    # payments then refunds the deposit; the unit, held meanwhile by another buyer, stays theirs
    newcomer = await known_customer(inventory, pid)
    await hold(inventory, settings, pid, uid, newcomer)
    await refunded(inventory, pid, data)
    assert (await unit_state(inventory, uid))["status"] == "held"


async def test_a_contracted_sale_is_not_cancelled(inventory, settings) -> None:
    pid, uid, sale, _ = await reserved_sale(inventory, settings)
    manager = auth(settings, "manager", pid)
    await inventory.client.post(f"/v1/sales/{sale}/subscription", json=_subscription(), headers=manager)
    contract = {"contract_no": "HT-9", "signatory": "buyer", "poa_notarized": False, "id_copy_kept": True}
    assert (
        await inventory.client.post(f"/v1/sales/{sale}/contract", json=contract, headers=manager)
    ).status_code == 200
    r = await inventory.client.post(f"/v1/sales/{sale}/cancellation", json={"reason": "x"}, headers=manager)
    assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"
    assert (await unit_state(inventory, uid))["status"] == "contracted"


async def test_a_consultant_holds_only_for_their_own_customers_r8(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=1)
    customer = await known_customer(inventory, pid, owner="consultant-1")
    url = f"/v1/units/{units[0]['id']}/holds"
    r = await inventory.client.post(
        url, json={"customer_id": customer}, headers=auth(settings, "consultant", pid, "c-2")
    )
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await inventory.client.post(url, json={"customer_id": customer}, headers=auth(settings, "sales_control", pid))
    assert r.status_code == 201


async def test_another_projects_staff_hear_403_before_anything_about_their_rows(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=1)
    stranger = auth(settings, "sales_control", str(uuid.uuid4()))
    r = await inventory.client.post(f"/v1/projects/{pid}/units", content=b"garbage", headers=stranger)
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_project"
    r = await inventory.client.post(f"/v1/units/{units[0]['id']}/quote", json={"discount": "99%"}, headers=stranger)
    assert r.status_code == 403


@pytest.mark.parametrize(
    "content, content_type",
    [
        (b"building,number,floor,layout,area_m2,list_price,floor_price\n", "text/csv"),
        (b"\x89PNG garbage", "text/csv"),
        (
            b'[{"building": "B", "number": "1", "floor": 1, "layout": "1BR", "area_m2": "50.00",'
            b' "list_price": "1000000.005", "floor_price": "900000.00"}]',
            "application/json",
        ),
        (
            b'[{"building": "B", "number": "1", "floor": 1, "layout": "1BR", "area_m2": "50.00",'
            b' "list_price": 1000000, "floor_price": "900000.00"}]',
            "application/json",
        ),
    ],
    ids=["header-only", "garbage", "third-decimal", "json-number"],
)
async def test_an_import_with_nothing_sane_to_import_is_422(inventory, settings, content, content_type) -> None:
    pid, _ = await new_project(inventory, settings, units=1)
    r = await inventory.client.post(
        f"/v1/projects/{pid}/units",
        content=content,
        headers=auth(settings, "admin", "*") | {"content-type": content_type},
    )
    assert r.status_code == 422, r.text
    listed = await inventory.client.get(f"/v1/projects/{pid}/units", headers=auth(settings, "manager", pid))
    assert len(listed.json()) == 1


async def test_dates_outside_sane_bounds_are_refused(inventory, settings) -> None:
    pid, uid, sale, _ = await reserved_sale(inventory, settings)
    manager = auth(settings, "manager", pid)
    far = {"buyer_signed": True, "down_payment": {"amount": "1.00", "due_date": "9999-12-31"}}
    r = await inventory.client.post(f"/v1/sales/{sale}/subscription", json=far, headers=manager)
    assert r.status_code == 422
    r = await inventory.client.post(
        f"/v1/sales/{sale}/subscription",
        json=_subscription() | {"down_payment": {"amount": "1.00", "due_date": in_days(400)}},
        headers=manager,
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "date_out_of_range"


async def test_the_unit_list_pages_with_link_next_after_filtering(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=5)
    manager = auth(settings, "manager", pid)
    first = await inventory.client.get(f"/v1/projects/{pid}/units?limit=3&status=available", headers=manager)
    assert len(first.json()) == 3 and 'rel="next"' in first.headers["link"]
    rest = await inventory.client.get(first.headers["link"].split(">")[0].lstrip("<"), headers=manager)
    assert len(rest.json()) == 2 and "link" not in rest.headers
    assert {u["id"] for u in first.json() + rest.json()} == {u["id"] for u in units}
