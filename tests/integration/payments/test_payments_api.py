"""Payments on real PostgreSQL: R22 hold check, R23 two counts, gap-free receipts, banking, refunds, ledger (R35)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest

from services.payments import consumers, use_cases
from shared.messaging.envelope import new_envelope
from shared.messaging.topics import UNIT_LOCKED, UNIT_RELEASED
from tests.support.apps import apply_event
from tests.support.auth import auth
from tests.support.payments import a_deposit, a_hold, a_project, a_sale, a_verified_deposit, deposit_body, outbox_count


async def test_deposit_needs_a_current_hold_for_this_customer_r22(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    finance = auth(settings, "finance", pid)
    r = await payments.client.post(
        "/v1/deposits", json=deposit_body(hold, customer_id=str(uuid.uuid4())), headers=finance
    )
    assert r.status_code == 409 and r.json()["error"]["code"] == "hold_not_current"
    await apply_event(
        payments,
        consumers.on_unit_released,
        UNIT_RELEASED,
        {"hold_id": hold["hold_id"], "unit_id": hold["unit_id"], "reason": "expired"},
        pid,
    )
    r = await payments.client.post("/v1/deposits", json=deposit_body(hold), headers=finance)
    assert r.status_code == 409 and r.json()["error"]["code"] == "hold_not_current"
    assert (
        await payments.client.post("/v1/deposits", json=deposit_body(hold), headers=auth(settings, "consultant", pid))
    ).status_code == 403


@pytest.mark.parametrize(
    "over, code",
    [
        ({"method": "cash", "amount": "10000.00"}, "cash_over_limit"),
        ({"method": "cheque"}, "cheque_no_required"),
        ({"method": "cash", "amount": "800.00", "currency": "USD"}, "note_serials_required"),
        ({"payer": {"name": "Uncle"}}, "payer_statement_required"),
        ({"amount": "-5"}, "invalid_amount"),
    ],
)
async def test_deposit_rules_are_422_and_change_nothing_r25_r26(payments, settings, over, code) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    r = await payments.client.post(
        "/v1/deposits", json=deposit_body(hold, **over), headers=auth(settings, "finance", pid)
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == code
    async with payments.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM deposits WHERE hold_id = $1", uuid.UUID(hold["hold_id"])) == 0


async def test_a_release_seen_before_its_lock_still_ends_the_hold(payments, settings) -> None:
    pid = await a_project(payments)
    hold_id, unit_id = str(uuid.uuid4()), str(uuid.uuid4())
    await apply_event(
        payments,
        consumers.on_unit_released,
        UNIT_RELEASED,
        {"hold_id": hold_id, "unit_id": unit_id, "reason": "cancelled"},
        pid,
    )
    async with payments.pool.acquire() as conn, conn.transaction():
        env = new_envelope(UNIT_LOCKED.event_type, {}, producer="t", project_id=pid)
        data = UNIT_LOCKED.data_model.model_validate(
            {
                "hold_id": hold_id,
                "unit_id": unit_id,
                "building": "B",
                "number": "1",
                "customer_id": str(uuid.uuid4()),
                "consultant_id": "c",
                "list_price": "1.00",
                "expires_at": datetime.now(UTC).isoformat(),
            }
        )
        await consumers.on_unit_locked(conn, env, data)
        assert await conn.fetchval("SELECT live FROM holds WHERE hold_id = $1", uuid.UUID(hold_id)) is False


async def test_two_people_verify_then_a_receipt_r23_r26(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    dep = await a_deposit(payments, settings, pid, hold)
    url = f"/v1/deposits/{dep['id']}/verifications"
    assert (await payments.client.post(url, headers=auth(settings, "finance", pid, "f-1"))).json()[
        "status"
    ] == "pending_verification"
    r = await payments.client.post(url, headers=auth(settings, "finance", pid, "f-1"))
    assert r.status_code == 409 and r.json()["error"]["code"] == "same_verifier"
    r = await payments.client.post(url, headers=auth(settings, "manager", pid, "m-1"))
    assert r.json()["status"] == "verified" and r.json()["verified_by"] == ["f-1", "m-1"]
    receipt = (
        await payments.client.get(f"/v1/deposits/{dep['id']}/receipt", headers=auth(settings, "service", pid))
    ).json()
    assert receipt["amount"] == "20000.00" and receipt["amount_in_words"] == "贰万元整"
    assert receipt["unit_number"] == "B1-1801" and receipt["receipt_no"].endswith("-000001")
    async with payments.pool.acquire() as conn:
        topics = await conn.fetch("SELECT topic FROM outbox WHERE key = $1", hold["unit_id"])
    assert [t["topic"] for t in topics] == ["estate.payments.deposit-verified.v1"]


async def test_receipt_numbers_have_no_gaps_under_concurrent_verification(payments, settings) -> None:
    pid = await a_project(payments)
    deposits = []
    for _ in range(12):
        dep = await a_deposit(payments, settings, pid, await a_hold(payments, pid))
        await payments.client.post(
            f"/v1/deposits/{dep['id']}/verifications", headers=auth(settings, "finance", pid, "f-1")
        )
        deposits.append(dep["id"])
    answers = await asyncio.gather(
        *(
            payments.client.post(f"/v1/deposits/{d}/verifications", headers=auth(settings, "manager", pid, "m-1"))
            for d in deposits
        )
    )
    numbers = sorted(int(a.json()["receipt_no"].rsplit("-", 1)[1]) for a in answers)
    assert numbers == list(range(1, 13))


async def test_cash_banking_refund_and_the_ledger_reconciles_r24_r35(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    finance = auth(settings, "finance", pid)
    dep = await a_verified_deposit(payments, settings, pid, hold, method="cash", amount="5000.00")
    r = await payments.client.post(
        f"/v1/deposits/{dep['id']}/banking", json={"bank_ref": "B-1", "escorts": ["a"]}, headers=finance
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "two_escorts_required"
    r = await payments.client.post(
        f"/v1/deposits/{dep['id']}/banking", json={"bank_ref": "B-1", "escorts": ["finance-1", "b"]}, headers=finance
    )
    assert r.status_code == 200
    sale_id = await a_sale(payments, pid, hold, price="1000000.00", down_payment="300000.00", due_in_days=30)
    r = await payments.client.post(
        f"/v1/sales/{sale_id}/payments",
        json={"kind": "down_payment", "amount": "295000.00", "method": "bank_transfer"},
        headers=finance,
    )
    assert r.status_code == 201
    ledger = (await payments.client.get(f"/v1/sales/{sale_id}/ledger", headers=auth(settings, "manager", pid))).json()
    assert [e["kind"] for e in ledger["entries"]] == [
        "deposit_taken",
        "deposit_verified",
        "cash_banked",
        "payment_down_payment",
    ]
    assert ledger["received"] == "300000.00" and ledger["outstanding"] == "700000.00"
    async with payments.pool.acquire() as conn:
        with pytest.raises(Exception, match="append-only"):
            await conn.execute("UPDATE ledger SET amount = 0 WHERE sale_id = $1", uuid.UUID(sale_id))


async def test_refund_and_overdue_down_payment_r28(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    dep = await a_deposit(payments, settings, pid, hold)
    assert (
        await payments.client.post(
            f"/v1/deposits/{dep['id']}/refund", json={"reason": "changed mind"}, headers=auth(settings, "finance", pid)
        )
    ).status_code == 403
    r = await payments.client.post(
        f"/v1/deposits/{dep['id']}/refund", json={"reason": "changed mind"}, headers=auth(settings, "manager", pid)
    )
    assert r.json()["status"] == "refunded"
    await a_sale(payments, pid, hold, price="1000000.00", down_payment="300000.00", due_in_days=-2, hold_id=None)
    async with payments.pool.acquire() as conn:
        assert await use_cases.report_overdue(conn) >= 1
        assert await outbox_count(conn, "estate.payments.payment-overdue.v1", hold["unit_id"]) == 1
        await use_cases.report_overdue(conn)  # the next sweep tells no one again
        assert await outbox_count(conn, "estate.payments.payment-overdue.v1", hold["unit_id"]) == 1
