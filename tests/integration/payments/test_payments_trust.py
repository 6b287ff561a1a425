"""Issue 8 in payments, on real PostgreSQL: one live deposit per hold, banking only of verified cash by an escort,
no refund under a subscribed sale, 退订 refunds, strict money, sealed payers, who sees whom, lists."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from services.payments import consumers
from shared.messaging.topics import CUSTOMER_REGISTERED, SALE_CANCELLED
from shared.trust import ownership
from tests.support.apps import apply_event
from tests.support.auth import auth
from tests.support.payments import a_deposit, a_hold, a_project, a_sale, a_verified_deposit, deposit_body, outbox_count


async def test_twenty_concurrent_deposits_on_one_hold_leave_exactly_one(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    answers = await asyncio.gather(
        *(
            payments.client.post("/v1/deposits", json=deposit_body(hold), headers=auth(settings, "finance", pid))
            for _ in range(20)
        )
    )
    assert sorted(a.status_code for a in answers) == [201] + [409] * 19
    assert {a.json()["error"]["code"] for a in answers if a.status_code == 409} == {"deposit_exists"}
    async with payments.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM deposits WHERE hold_id = $1", uuid.UUID(hold["hold_id"])) == 1
        assert await conn.fetchval("SELECT count(*) FROM ledger WHERE hold_id = $1", uuid.UUID(hold["hold_id"])) == 1


async def test_a_refunded_deposit_frees_the_hold_for_a_new_one(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    first = await a_deposit(payments, settings, pid, hold)
    again = await payments.client.post("/v1/deposits", json=deposit_body(hold), headers=auth(settings, "finance", pid))
    assert again.status_code == 409 and again.json()["error"]["code"] == "deposit_exists"
    r = await payments.client.post(
        f"/v1/deposits/{first['id']}/refund", json={"reason": "changed mind"}, headers=auth(settings, "manager", pid)
    )
    assert r.status_code == 200
    await a_deposit(payments, settings, pid, hold)


@pytest.mark.parametrize("state", ["pending", "refunded", "transfer"])
async def test_only_verified_cash_is_bankable_r24(payments, settings, state) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    method = "bank_transfer" if state == "transfer" else "cash"
    dep = await (a_verified_deposit if state == "transfer" else a_deposit)(
        payments, settings, pid, hold, method=method, amount="5000.00"
    )
    if state == "refunded":
        await payments.client.post(
            f"/v1/deposits/{dep['id']}/refund", json={"reason": "x"}, headers=auth(settings, "manager", pid)
        )
    r = await payments.client.post(
        f"/v1/deposits/{dep['id']}/banking",
        json={"bank_ref": "B-1", "escorts": ["finance-1", "finance-2"]},
        headers=auth(settings, "finance", pid),
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_bankable"


async def test_banking_is_recorded_by_one_of_the_two_escorts_r24(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    dep = await a_verified_deposit(payments, settings, pid, hold, method="cash", amount="5000.00")
    url, body = f"/v1/deposits/{dep['id']}/banking", {"bank_ref": "B-1", "escorts": ["f-7", "f-8"]}
    r = await payments.client.post(url, json=body, headers=auth(settings, "finance", pid, "f-9"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "not_an_escort"
    assert (
        await payments.client.post(url, json=body, headers=auth(settings, "finance", pid, "f-7"))
    ).status_code == 200


async def test_a_deposit_under_a_subscribed_sale_is_not_refunded(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    dep = await a_verified_deposit(payments, settings, pid, hold)
    await a_sale(payments, pid, hold)
    r = await payments.client.post(
        f"/v1/deposits/{dep['id']}/refund", json={"reason": "x"}, headers=auth(settings, "manager", pid)
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "sale_subscribed"


async def test_a_cancelled_sale_refunds_its_deposit_once_and_stops_the_schedule(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    dep = await a_verified_deposit(payments, settings, pid, hold)
    sale_id = await a_sale(payments, pid, hold)
    cancelled = {
        "sale_id": sale_id,
        "unit_id": hold["unit_id"],
        "customer_id": hold["customer_id"],
        "reason": "buyer withdrew",
        "hold_id": hold["hold_id"],
    }
    for _ in range(2):  # the same cancellation twice (a redelivery) refunds once
        await apply_event(payments, consumers.on_sale_cancelled, SALE_CANCELLED, cancelled, pid)
    async with payments.pool.acquire() as conn:
        assert await conn.fetchval("SELECT status FROM deposits WHERE id = $1", uuid.UUID(dep["id"])) == "refunded"
        assert await outbox_count(conn, "estate.payments.deposit-refunded.v1", hold["unit_id"]) == 1
        assert await conn.fetchval("SELECT cancelled FROM schedule WHERE sale_id = $1", uuid.UUID(sale_id))
        refunds = await conn.fetch(
            "SELECT amount FROM ledger WHERE hold_id = $1 AND kind = 'deposit_refunded'", uuid.UUID(hold["hold_id"])
        )
    assert [r["amount"] for r in refunds] == [-Decimal("20000.00")]  # R35: once, money out


async def test_a_cancellation_seen_before_the_subscription_leaves_nothing_to_collect(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    sale_id = str(uuid.uuid4())
    await apply_event(
        payments,
        consumers.on_sale_cancelled,
        SALE_CANCELLED,
        {"sale_id": sale_id, "unit_id": hold["unit_id"], "customer_id": hold["customer_id"], "reason": "x"},
        pid,
    )
    await a_sale(payments, pid, hold, sale_id)
    async with payments.pool.acquire() as conn:
        assert await conn.fetchval("SELECT cancelled FROM schedule WHERE sale_id = $1", uuid.UUID(sale_id))


@pytest.mark.parametrize("amount", ["1e30", 1e30, "99999999999999.99", 0.1, 20000, "1.005", "0", "-1", "NaN", True])
async def test_money_that_is_not_money_is_422_invalid_amount(payments, settings, amount) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    r = await payments.client.post(
        "/v1/deposits", json=deposit_body(hold, amount=amount), headers=auth(settings, "finance", pid)
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_amount", r.text


async def test_a_third_party_payer_rests_sealed_r18(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    dep = await a_deposit(payments, settings, pid, hold, payer={"name": "舅舅 Uncle Wang", "statement_ref": "ST-1"})
    async with payments.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT payer, payer_enc FROM deposits WHERE id = $1", uuid.UUID(dep["id"]))
    assert row["payer"] is None and b"Uncle" not in bytes(row["payer_enc"])


async def test_a_consultant_acts_only_for_their_own_customers(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    await apply_event(
        payments,
        ownership.on_customer_registered,
        CUSTOMER_REGISTERED,
        {"customer_id": hold["customer_id"], "owner_id": "consultant-1"},
        pid,
    )
    dep = await a_verified_deposit(payments, settings, pid, hold)
    sale_id = await a_sale(payments, pid, hold)
    body = {"at": (datetime.now(UTC) + timedelta(days=9)).isoformat(), "place": "ICBC", "documents": ["ID"]}
    url = f"/v1/sales/{sale_id}/mortgage-appointment"
    other = await payments.client.post(url, json=body, headers=auth(settings, "consultant", pid, "consultant-2"))
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    receipt = await payments.client.get(
        f"/v1/deposits/{dep['id']}/receipt", headers=auth(settings, "consultant", pid, "consultant-2")
    )
    assert receipt.status_code == 404
    assert (await payments.client.post(url, json=body, headers=auth(settings, "consultant", pid))).status_code == 201


async def test_another_projects_staff_hear_403_before_anything_about_the_deposit(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    dep = await a_deposit(payments, settings, pid, hold)  # not verified: the receipt would be a 409
    r = await payments.client.get(f"/v1/deposits/{dep['id']}/receipt", headers=auth(settings, "finance", "elsewhere"))
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_project"


async def test_the_deposit_list_pages_with_link_next_and_filters_first(payments, settings) -> None:
    pid = await a_project(payments)
    ids = [(await a_deposit(payments, settings, pid, await a_hold(payments, pid)))["id"] for _ in range(3)]
    first = await payments.client.get(f"/v1/projects/{pid}/deposits?limit=2", headers=auth(settings, "manager", pid))
    assert [d["id"] for d in first.json()] == ids[:2]
    next_url = first.headers["link"].split(">")[0].lstrip("<")
    second = await payments.client.get(next_url, headers=auth(settings, "manager", pid))
    assert [d["id"] for d in second.json()] == ids[2:] and "link" not in second.headers
    overdue = await payments.client.get(
        f"/v1/projects/{pid}/deposits?banking=overdue&limit=1", headers=auth(settings, "manager", pid)
    )
    assert overdue.json() == [] and "link" not in overdue.headers
    bad = await payments.client.get(
        f"/v1/projects/{pid}/deposits?cursor=garbage", headers=auth(settings, "manager", pid)
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_cursor"
