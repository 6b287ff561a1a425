"""Issue 24 in leads, on real PostgreSQL, the partial rules made whole: registration validates the profile and tags
exactly as PATCH does (R11, R12); a registration or a logged call carries the agreed next contact, else the grade's
cadence sets it (R14); a buyer who pays in full without a mortgage passes to after-sales once paid and signed (R31)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.leads import consumers, use_cases
from shared.messaging import topics as t
from tests.support.leads import apply, auth, daytime, phone, register

TAGS = ["first_home", "sea_view"]


async def _project(leads, **settings) -> str:
    pid = str(uuid.uuid4())
    data = {"project_id": pid, "code": f"L{pid[:6]}", "name": "Leads rules", "settings": {"tags": TAGS} | settings}
    await apply(leads, consumers.on_project_created, t.PROJECT_CREATED, data, pid)
    return pid


async def _patch(leads, settings, pid: str, cid: str, body: dict):
    return await leads.client.patch(f"/v1/customers/{cid}", json=body, headers=auth(settings, "consultant", pid, "c-a"))


@pytest.mark.parametrize(
    "body",
    [
        {"profile": {"basic": {"shoe_size": 42}}},
        {"profile": {"needs": {"purpose": "first_home"}}},
        {"profile": {"purchasing_power": {"budget_min": "3000000.00", "budget_max": "2000000.00"}}},
        {"profile": {"needs": "own_use"}},
        {"tags": ["investor"]},
        {"tags": ["first_home", "penthouse"]},
    ],
)
async def test_registration_validates_the_profile_and_tags_exactly_like_patch_r11_r12(leads, settings, body) -> None:
    pid = await _project(leads)
    existing = (await register(leads, settings, pid, "c-a")).json()["id"]
    patched = await _patch(leads, settings, pid, existing, body)
    registered = await register(leads, settings, pid, "c-a", **body)
    assert registered.status_code == patched.status_code == 422, registered.text
    assert registered.json()["error"]["code"] == patched.json()["error"]["code"]
    async with leads.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM customers WHERE project_id = $1", uuid.UUID(pid)) == 1


async def test_a_valid_profile_and_tags_are_kept_at_registration_r11_r12(leads, settings) -> None:
    pid = await _project(leads)
    profile = {"needs": {"purpose": "own_use", "layouts": ["3BR"]}, "purchasing_power": {"budget_max": "3000000"}}
    r = await register(leads, settings, pid, "c-a", profile=profile, tags=["sea_view", "first_home", "sea_view"])
    assert r.status_code == 201, r.text
    record = (await leads.client.get(f"/v1/customers/{r.json()['id']}", headers=auth(settings, "manager", pid))).json()
    assert record["tags"] == ["sea_view", "first_home"]
    assert record["profile"] == {
        "needs": {"purpose": "own_use", "layouts": ["3BR"]},
        "purchasing_power": {"budget_max": "3000000.00"},
    }


async def test_registration_carries_the_agreed_next_contact_else_the_grades_cadence_r14(leads, settings) -> None:
    pid = await _project(leads)
    agreed = daytime(3)
    with_one = await register(leads, settings, pid, "c-a", grade="C", next_contact_at=agreed)
    assert with_one.status_code == 201, with_one.text
    without = (await register(leads, settings, pid, "c-a", grade="A")).json()["id"]
    manager = auth(settings, "manager", pid)
    record = (await leads.client.get(f"/v1/customers/{with_one.json()['id']}", headers=manager)).json()
    assert datetime.fromisoformat(record["next_contact_at"]) == datetime.fromisoformat(agreed)
    assert datetime.fromisoformat(record["followup_due_at"]) == datetime.fromisoformat(agreed)  # before C's month
    other = (await leads.client.get(f"/v1/customers/{without}", headers=manager)).json()
    due = datetime.fromisoformat(other["followup_due_at"]) - datetime.fromisoformat(other["last_touch_at"])
    assert other["next_contact_at"] is None and due == timedelta(days=7)  # grade A: within a week (R13)
    night = datetime.fromisoformat(daytime(2)).replace(hour=23).isoformat()
    r = await register(leads, settings, pid, "c-a", next_contact_at=night)
    assert r.status_code == 422 and r.json()["error"]["code"] == "quiet_hours"
    r = await register(leads, settings, pid, "c-a", next_contact_at=daytime(-2))
    assert r.status_code == 422 and r.json()["error"]["code"] == "next_contact_in_past"


async def test_a_logged_call_carries_the_agreed_next_contact_to_the_callers_record_r14(leads, settings) -> None:
    pid = await _project(leads)
    rang, consultant = datetime.now(UTC).isoformat(), auth(settings, "consultant", pid, "c-a")
    call = {"project_id": pid, "rang_at": rang, "answered_at": rang, "caller_phone": phone(), "caller_name": "Wu"}
    r = await leads.client.post("/v1/calls", json=call | {"next_contact_at": daytime(2)}, headers=consultant)
    assert r.status_code == 201, r.text
    assert r.json()["customer_id"] and datetime.fromisoformat(r.json()["next_contact_at"]) == datetime.fromisoformat(
        daytime(2)
    )
    record = (await leads.client.get(f"/v1/customers/{r.json()['customer_id']}", headers=consultant)).json()
    assert datetime.fromisoformat(record["next_contact_at"]) == datetime.fromisoformat(daytime(2))
    anonymous = {"project_id": pid, "rang_at": rang, "next_contact_at": daytime(2)}
    r = await leads.client.post("/v1/calls", json=anonymous, headers=consultant)
    assert r.status_code == 201 and r.json()["next_contact_at"] is None  # the call is logged; no record to keep it on
    night = datetime.fromisoformat(daytime(2)).replace(hour=23).isoformat()
    again = call | {"caller_phone": record["phone"], "next_contact_at": night}
    r = await leads.client.post("/v1/calls", json=again, headers=consultant)
    assert r.status_code == 422 and r.json()["error"]["code"] == "quiet_hours"


async def test_a_buyer_who_pays_in_full_without_a_mortgage_passes_to_aftersales_when_paid_and_signed_r31(
    leads, settings
) -> None:
    pid = await _project(leads)
    buyer = (await register(leads, settings, pid, "c-a", grade="A")).json()["id"]
    ids = {"sale_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4()), "customer_id": buyer}
    subscribed = ids | {"price": "1000000.00", "down_payment": {"amount": "300000.00", "due_date": "2098-01-01"}}
    await apply(leads, consumers.on_subscription_signed, t.SUBSCRIPTION_SIGNED, subscribed, pid)
    paid = ids | {
        "payment_id": str(uuid.uuid4()),
        "kind": "down_payment",
        "amount": "300000.00",
        "outstanding": "680000.00",
    }
    await apply(leads, consumers.on_payment_received, t.PAYMENT_RECEIVED, paid, pid)
    rest = paid | {"payment_id": str(uuid.uuid4()), "kind": "balance", "amount": "680000.00", "outstanding": "0.00"}
    await apply(leads, consumers.on_payment_received, t.PAYMENT_RECEIVED, rest, pid)
    async with leads.pool.acquire() as conn:
        kinds = [e["kind"] for e in await use_cases.timeline(conn, uuid.UUID(buyer))]
    assert "passed_to_aftersales" not in kinds  # paid, but the contract is not signed yet
    contract = ids | {"contract_no": "HT-F", "signed_at": "2098-01-02T10:00:00+08:00"}
    await apply(leads, consumers.on_contract_signed, t.CONTRACT_SIGNED, contract, pid)
    async with leads.pool.acquire() as conn:
        kinds = [e["kind"] for e in await use_cases.timeline(conn, uuid.UUID(buyer))]
        overdue = {
            i["customer_id"]
            for i in await use_cases.overdue_followups(conn, uuid.UUID(pid), datetime(2099, 1, 1, tzinfo=UTC))
        }
    assert kinds.count("passed_to_aftersales") == 1 and buyer not in overdue
