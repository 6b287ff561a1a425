"""Issue 24, paper: every receipt of money has a receipt in the project's one gap-free series, as JSON and printed
(A5 landscape, a 收据); the printed one reads as the JSON one, every print after the first says 副本; payments on a
sale keep the deposit's rules (R25, R26, R29)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson
import pytest

from services.payments import consumers, use_cases
from shared.messaging.topics import CASH_NOT_BANKED, CONTRACT_SIGNED, DESIGNEE_NAMED, PROJECT_CREATED
from tests.support.apps import apply_event
from tests.support.auth import auth
from tests.support.paper import inked_share, one_line, pdf_png, pdf_text
from tests.support.payments import a_hold, a_payment, a_project, a_sale, a_verified_deposit, deposit_body, payment_body

PDF = {"Accept": "application/pdf"}


async def _printed(payments, url: str, headers: dict) -> bytes:
    r = await payments.client.get(url, headers=headers | PDF)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf", r.text
    return r.content


def _shows(text: str, receipt: dict) -> list[str]:
    """The JSON receipt's figures and words the printed text does not show (none: it reads as the JSON)."""
    wanted = [receipt[k] for k in ("receipt_no", "unit_number", "amount", "amount_in_words", "currency", "method")]
    wanted += [receipt["source_of_funds"], receipt["issued_at"], receipt["project"]["code"], receipt["kind"]]
    wanted += [receipt.get("cheque_no"), receipt.get("cny_equivalent"), *(receipt.get("note_serials") or [])]
    wanted += [receipt["payer"]["name"], receipt["payer"]["statement_ref"]] if receipt.get("payer") else []
    wanted += [v for v in receipt["verified_by"] if v]
    return [w for w in wanted if w and w not in text]


async def test_a_deposit_receipt_printed_reads_as_its_json_and_reprints_are_copies_r26(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    payer = {"name": "王叔叔", "statement_ref": "STMT-88"}
    dep = await a_verified_deposit(payments, settings, pid, hold, method="cheque", cheque_no="CHK-7031", payer=payer)
    url, staff = f"/v1/deposits/{dep['id']}/receipt", auth(settings, "finance", pid)
    receipt = (await payments.client.get(url, headers=staff)).json()
    assert receipt["prints"] == 0 and receipt["kind"] == "deposit" and receipt["amount_in_words"] == "贰万元整"
    assert receipt["payer"] == payer and receipt["verified_by"] == ["f-1", "m-1"]

    first = await _printed(payments, url, staff)
    text = one_line(pdf_text(first))
    assert _shows(text, receipt) == [] and "收 据" in text and "RECEIPT" in text
    assert "副本" not in text and "print 1" in text
    assert inked_share(pdf_png(first)) > 0.01  # a page with something on it, not a blank sheet

    again = one_line(pdf_text(await _printed(payments, url, auth(settings, "manager", pid))))
    assert "副本" in again and "COPY" in again and "print 2" in again and _shows(again, receipt) == []
    assert (await payments.client.get(url, headers=staff)).json()["prints"] == 2


async def test_payments_are_receipted_in_the_one_gap_free_series_with_deposits(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    dep = await a_verified_deposit(payments, settings, pid, hold)
    sale_id = await a_sale(payments, pid, hold, price="1000000.00", down_payment="300000.00")
    down = await a_payment(payments, settings, pid, sale_id, amount="280000.00")
    balance = await a_payment(payments, settings, pid, sale_id, kind="balance", amount="700000.00")
    staff = auth(settings, "service", pid)
    deposit_no = (await payments.client.get(f"/v1/deposits/{dep['id']}/receipt", headers=staff)).json()["receipt_no"]
    numbers = [deposit_no, down["receipt_no"], balance["receipt_no"]]
    assert [int(n.rsplit("-", 1)[1]) for n in numbers] == [1, 2, 3] and len({n.rsplit("-", 1)[0] for n in numbers}) == 1
    receipt = (await payments.client.get(f"/v1/payments/{balance['id']}/receipt", headers=staff)).json()
    assert receipt["kind"] == "balance" and receipt["amount_in_words"] == "柒拾万元整"
    assert receipt["unit_number"] == "B1-1801" and receipt["verified_by"] == ["finance-1"]
    assert receipt["sale_id"] == sale_id and receipt["payment_id"] == balance["id"]
    text = one_line(pdf_text(await _printed(payments, f"/v1/payments/{balance['id']}/receipt", staff)))
    assert _shows(text, receipt) == [] and "尾款" in text


async def test_a_foreign_currency_payment_names_its_currency_and_counts_in_yuan_r25_r26(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    sale_id = await a_sale(payments, pid, hold)
    usd = await a_payment(payments, settings, pid, sale_id, amount="9000.00", currency="USD", cny_equivalent="64800.00")
    assert usd["amount_in_words"] == "美元玖仟元整" and usd["cny_equivalent"] == "64800.00" and usd["id"]
    receipt = (
        await payments.client.get(f"/v1/payments/{usd['id']}/receipt", headers=auth(settings, "manager", pid))
    ).json()
    assert receipt["currency"] == "USD" and receipt["amount_in_words"] == "美元玖仟元整"
    cash = {"method": "cash", "currency": "USD", "note_serials": ["AB123", "AB124"]}
    await a_payment(
        payments, settings, pid, sale_id, kind="instalment", amount="1000.00", cny_equivalent="7200.00", **cash
    )
    r = await payments.client.post(  # 7,200 yuan of cash already on the sale: 2,900 more reaches the limit
        f"/v1/sales/{sale_id}/payments",
        json=payment_body(kind="instalment", amount="400.00", cny_equivalent="2900.00", **cash),
        headers=auth(settings, "finance", pid),
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "cash_over_limit"


@pytest.mark.parametrize(
    "over, code",
    [
        ({"method": "cash", "amount": "10000.00"}, "cash_over_limit"),
        ({"method": "cash", "amount": "6000.00"}, "cash_over_limit"),  # with the deposit's 5,000 in cash
        ({"method": "cheque"}, "cheque_no_required"),
        ({"payer": {"name": "Uncle"}}, "payer_statement_required"),
        ({"payer": "Uncle"}, "payer_statement_required"),
        ({"currency": "USD", "amount": "9000.00"}, "cny_equivalent_required"),
        (
            {"method": "cash", "currency": "HKD", "amount": "800.00", "cny_equivalent": "730.00"},
            "note_serials_required",
        ),
        ({"method": "barter"}, "invalid_method"),
    ],
)
async def test_payments_keep_the_deposit_rules_r25_r29(payments, settings, over, code) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    await a_verified_deposit(payments, settings, pid, hold, method="cash", amount="5000.00")
    sale_id = await a_sale(payments, pid, hold)
    r = await payments.client.post(
        f"/v1/sales/{sale_id}/payments", json=payment_body(**over), headers=auth(settings, "finance", pid)
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == code, r.text
    async with payments.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM payments WHERE sale_id = $1", uuid.UUID(sale_id)) == 0


async def test_a_consultant_sees_only_their_own_customers_payment_receipts_r8(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    sale_id = await a_sale(payments, pid, hold)
    paid = await a_payment(payments, settings, pid, sale_id)
    url = f"/v1/payments/{paid['id']}/receipt"
    assert (await payments.client.get(url, headers=auth(settings, "consultant", pid, "c-9"))).status_code == 404
    stranger = auth(settings, "finance", str(uuid.uuid4()))
    assert (await payments.client.get(url, headers=stranger)).status_code == 403
    assert (
        await payments.client.get(f"/v1/payments/{uuid.uuid4()}/receipt", headers=auth(settings, "finance", pid))
    ).status_code == 404


async def test_cash_not_banked_by_its_deadline_is_told_once_naming_deposit_and_receipt_r24(payments, settings) -> None:
    pid = str(uuid.uuid4())
    event = {
        "project_id": pid,
        "code": f"RB{uuid.uuid4().hex[:10]}",
        "name": "Bank",
        "settings": {"cash_banking_days": 0},
    }
    await apply_event(payments, consumers.on_project_created, PROJECT_CREATED, event, pid)
    hold = await a_hold(payments, pid)
    dep = await a_verified_deposit(payments, settings, pid, hold, method="cash", amount="8000.00")
    banked_hold = await a_hold(payments, pid)
    banked = await a_verified_deposit(payments, settings, pid, banked_hold, method="cash", amount="100.00")
    r = await payments.client.post(
        f"/v1/deposits/{banked['id']}/banking",
        json={"bank_ref": "B-9", "escorts": ["finance-1", "f-2"]},
        headers=auth(settings, "finance", pid),
    )
    assert r.status_code == 200
    async with payments.pool.acquire() as conn:
        await use_cases.mark_banking_overdue(conn, datetime.now(UTC) + timedelta(seconds=1))
        await use_cases.mark_banking_overdue(conn, datetime.now(UTC) + timedelta(days=3))  # the next pass: no more
        rows = await conn.fetch("SELECT payload FROM outbox WHERE topic = $1", CASH_NOT_BANKED.name)
    told = [orjson.loads(bytes(r["payload"])) for r in rows]
    told = [e["data"] for e in told if e["project_id"] == pid]
    receipt = (
        await payments.client.get(f"/v1/deposits/{dep['id']}/receipt", headers=auth(settings, "manager", pid))
    ).json()
    assert [(e["deposit_id"], e["receipt_no"], e["amount"]) for e in told] == [
        (dep["id"], receipt["receipt_no"], "8000.00")
    ]
    listed = await payments.client.get(
        f"/v1/projects/{pid}/deposits?banking=overdue", headers=auth(settings, "finance", pid)
    )
    assert [d["id"] for d in listed.json()] == [dep["id"]]


async def _designee(payments, pid: str, staff: str, powers: list[str]) -> None:
    data = {"project_id": pid, "staff_id": staff, "powers": powers, "reason": "leave", "named_by": "m-1"}
    await apply_event(
        payments, consumers.on_designee_named, DESIGNEE_NAMED, data | {"named_at": datetime.now(UTC).isoformat()}, pid
    )


async def test_a_designee_the_manager_named_takes_and_counts_deposits_and_nobody_else_r23(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    await _designee(payments, pid, "svc-7", ["take_deposits"])
    other = await payments.client.post(
        "/v1/deposits", json=deposit_body(hold), headers=auth(settings, "service", pid, "svc-8")
    )
    assert other.status_code == 403 and other.json()["error"]["code"] == "wrong_role"
    taken = await payments.client.post(
        "/v1/deposits", json=deposit_body(hold), headers=auth(settings, "service", pid, "svc-7")
    )
    assert taken.status_code == 201, taken.text
    url = f"/v1/deposits/{taken.json()['id']}/verifications"
    assert (await payments.client.post(url, headers=auth(settings, "service", pid, "svc-8"))).status_code == 403
    assert (await payments.client.post(url, headers=auth(settings, "service", pid, "svc-7"))).status_code == 200
    counted = await payments.client.post(url, headers=auth(settings, "finance", pid, "f-1"))
    assert counted.json()["status"] == "verified" and counted.json()["verified_by"] == ["svc-7", "f-1"]
    await _designee(payments, pid, "svc-7", [])  # withdrawn
    again = await payments.client.post(
        "/v1/deposits", json=deposit_body(await a_hold(payments, pid)), headers=auth(settings, "service", pid, "svc-7")
    )
    assert again.status_code == 403


async def test_the_contract_copy_is_signed_for_once_after_the_contract_r29(payments, settings) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    sale_id = await a_sale(payments, pid, hold)
    url, finance = f"/v1/sales/{sale_id}/contract-collection", auth(settings, "finance", pid)
    early = await payments.client.post(url, json={"collected_by": "buyer", "signed": True}, headers=finance)
    assert early.status_code == 409 and early.json()["error"]["code"] == "contract_not_signed"
    signed = {
        "sale_id": sale_id,
        "unit_id": hold["unit_id"],
        "customer_id": hold["customer_id"],
        "contract_no": "HT-29",
    }
    await apply_event(
        payments,
        consumers.on_contract_signed,
        CONTRACT_SIGNED,
        signed | {"signed_at": datetime.now(UTC).isoformat()},
        pid,
    )
    for body, code in (
        ({"collected_by": "buyer", "signed": False}, "signature_required"),
        ({"collected_by": "cousin", "signed": True}, "invalid_collector"),
    ):
        r = await payments.client.post(url, json=body, headers=finance)
        assert r.status_code == 422 and r.json()["error"]["code"] == code
    r = await payments.client.post(
        url, json={"collected_by": "attorney", "signed": True}, headers=auth(settings, "manager", pid)
    )
    assert r.status_code == 201, r.text
    assert (r.json()["contract_no"], r.json()["collected_by"], r.json()["recorded_by"]) == (
        "HT-29",
        "attorney",
        "manager-1",
    )
    again = await payments.client.post(url, json={"collected_by": "buyer", "signed": True}, headers=finance)
    assert again.status_code == 409 and again.json()["error"]["code"] == "already_collected"
    consultant = await payments.client.post(
        url, json={"collected_by": "buyer", "signed": True}, headers=auth(settings, "consultant", pid)
    )
    assert consultant.status_code == 403


async def test_deposits_payments_and_schedules_keep_every_version_and_the_ledger_refuses_truncate_r35(
    payments, settings
) -> None:
    pid = await a_project(payments)
    hold = await a_hold(payments, pid)
    dep = await a_verified_deposit(payments, settings, pid, hold)
    sale_id = await a_sale(payments, pid, hold)
    paid = await a_payment(payments, settings, pid, sale_id)
    async with payments.pool.acquire() as conn:
        versions = await conn.fetch(
            "SELECT op, row_data FROM money_history WHERE table_name = 'deposits' AND row_id = $1 ORDER BY id",
            uuid.UUID(dep["id"]),
        )
        assert [(v["op"], v["row_data"]["status"], v["row_data"]["first_verifier"]) for v in versions] == [
            ("INSERT", "pending_verification", None),
            ("UPDATE", "pending_verification", "f-1"),
            ("UPDATE", "verified", "f-1"),
        ]
        schedule = await conn.fetch(
            "SELECT op, row_data FROM money_history WHERE table_name = 'schedule' AND row_data->>'sale_id' = $1"
            " ORDER BY id",
            sale_id,
        )
        assert [(s["op"], s["row_data"]["paid"]) for s in schedule] == [("INSERT", 0), ("UPDATE", 300000.0)]
        assert await conn.fetchval("SELECT count(*) FROM money_history WHERE row_id = $1", uuid.UUID(paid["id"])) == 1
        for statement in ("TRUNCATE ledger", "TRUNCATE deposits CASCADE", "TRUNCATE money_history"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await conn.execute(statement)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("DELETE FROM deposits WHERE id = $1", uuid.UUID(dep["id"]))
