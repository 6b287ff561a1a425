"""Payments on real PostgreSQL: R22 hold check, R23 two counts, gap-free receipts, banking, refunds, ledger (R35)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.payments import consumers, use_cases
from services.payments.app import build_spec
from shared.auth_tokens import make_token
from shared.catalogue import PROJECT_CREATED, SUBSCRIPTION_SIGNED, UNIT_LOCKED, UNIT_RELEASED
from shared.envelope import new_envelope
from tests.support.apps import apply_event, running_app


def auth(settings, role, project, sub=None):
    return {"Authorization": f"Bearer {make_token(settings.jwt_secret, sub or role + '-1', role, [project])}"}


@pytest.fixture(scope="module")
async def payments(settings):
    async with running_app(build_spec(), settings) as svc:
        yield svc


async def a_hold(payments, pid: str, minutes: int = 30) -> dict:
    hold = {
        "hold_id": str(uuid.uuid4()),
        "unit_id": str(uuid.uuid4()),
        "building": "B1",
        "number": "1801",
        "customer_id": str(uuid.uuid4()),
        "consultant_id": "c-1",
        "list_price": "2000000.00",
        "expires_at": (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat(),
    }
    await apply_event(payments, consumers.on_unit_locked, UNIT_LOCKED, hold, pid)
    return hold


async def a_project(payments) -> str:
    pid = str(uuid.uuid4())
    await apply_event(
        payments,
        consumers.on_project_created,
        PROJECT_CREATED,
        {
            "project_id": pid,
            "code": f"RG{uuid.uuid4().hex[:4]}",
            "name": "Garden",
            "settings": {"cash_limit": "10000.00", "cash_banking_days": 2},
        },
        pid,
    )
    return pid


def deposit_body(hold: dict, **over) -> dict:
    return {
        "unit_id": hold["unit_id"],
        "hold_id": hold["hold_id"],
        "customer_id": hold["customer_id"],
        "amount": "20000.00",
        "method": "bank_transfer",
        "source_of_funds": "savings",
    } | over


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
    dep = (
        await payments.client.post("/v1/deposits", json=deposit_body(hold), headers=auth(settings, "finance", pid))
    ).json()
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
        hold = await a_hold(payments, pid)
        dep = (
            await payments.client.post("/v1/deposits", json=deposit_body(hold), headers=auth(settings, "finance", pid))
        ).json()
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
    dep = (
        await payments.client.post(
            "/v1/deposits", json=deposit_body(hold, method="cash", amount="5000.00"), headers=finance
        )
    ).json()
    await payments.client.post(f"/v1/deposits/{dep['id']}/verifications", headers=auth(settings, "finance", pid, "f-1"))
    await payments.client.post(f"/v1/deposits/{dep['id']}/verifications", headers=auth(settings, "manager", pid, "m-1"))
    r = await payments.client.post(
        f"/v1/deposits/{dep['id']}/banking", json={"bank_ref": "B-1", "escorts": ["a"]}, headers=finance
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "two_escorts_required"
    r = await payments.client.post(
        f"/v1/deposits/{dep['id']}/banking", json={"bank_ref": "B-1", "escorts": ["finance-1", "b"]}, headers=finance
    )
    assert r.status_code == 200
    sale_id = str(uuid.uuid4())
    await apply_event(
        payments,
        consumers.on_subscription_signed,
        SUBSCRIPTION_SIGNED,
        {
            "sale_id": sale_id,
            "unit_id": hold["unit_id"],
            "customer_id": hold["customer_id"],
            "price": "1000000.00",
            "hold_id": hold["hold_id"],
            "down_payment": {"amount": "300000.00", "due_date": (date.today() + timedelta(days=30)).isoformat()},
        },
        pid,
    )
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
    dep = (
        await payments.client.post("/v1/deposits", json=deposit_body(hold), headers=auth(settings, "finance", pid))
    ).json()
    assert (
        await payments.client.post(
            f"/v1/deposits/{dep['id']}/refund", json={"reason": "changed mind"}, headers=auth(settings, "finance", pid)
        )
    ).status_code == 403
    r = await payments.client.post(
        f"/v1/deposits/{dep['id']}/refund", json={"reason": "changed mind"}, headers=auth(settings, "manager", pid)
    )
    assert r.json()["status"] == "refunded"
    sale_id = str(uuid.uuid4())
    await apply_event(
        payments,
        consumers.on_subscription_signed,
        SUBSCRIPTION_SIGNED,
        {
            "sale_id": sale_id,
            "unit_id": hold["unit_id"],
            "customer_id": hold["customer_id"],
            "price": "1000000.00",
            "down_payment": {"amount": "300000.00", "due_date": (date.today() - timedelta(days=2)).isoformat()},
        },
        pid,
    )
    async with payments.pool.acquire() as conn:
        assert await use_cases.report_overdue(conn) >= 1
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE topic = 'estate.payments.payment-overdue.v1' AND key = $1",
                hold["unit_id"],
            )
            == 1
        )
        await use_cases.report_overdue(conn)
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM outbox WHERE topic = 'estate.payments.payment-overdue.v1' AND key = $1",
                hold["unit_id"],
            )
            == 1
        )
