"""Issue 10, R34 (老带新) on real PostgreSQL: a customer referred by another is rewarded with them once the
referred buyer's contract is signed; the reward is the project's setting; the event says so once."""

from __future__ import annotations

import uuid

from services.leads import consumers
from shared import catalogue as t
from tests.support.leads import apply, auth, outbox_for, register


async def test_both_sides_are_rewarded_once_when_the_referred_buyer_signs_r34(leads, settings) -> None:
    pid = str(uuid.uuid4())
    settings_data = {
        "project_id": pid,
        "code": "R",
        "name": "Riverside",
        "settings": {"referral_reward": "a parking space"},
    }
    await apply(leads, consumers.on_project_created, t.PROJECT_CREATED, settings_data, pid)
    owner = (await register(leads, settings, pid, "c-a")).json()["id"]
    buyer = (await register(leads, settings, pid, "c-a", referred_by=owner)).json()["id"]
    noted = (await register(leads, settings, pid, "c-a", referred_by="a neighbour")).json()["id"]  # a note, no link
    manager = auth(settings, "manager", pid)
    listed = (await leads.client.get(f"/v1/projects/{pid}/referrals", headers=manager)).json()
    assert [(r["referrer_customer_id"], r["customer_id"], r["status"]) for r in listed] == [
        (owner, buyer, "registered")
    ]
    signed = {
        "sale_id": str(uuid.uuid4()),
        "unit_id": str(uuid.uuid4()),
        "customer_id": buyer,
        "contract_no": "HT-9",
        "signed_at": "2026-11-30T10:00:00+08:00",
    }
    for _ in range(2):  # a second contract event for the buyer rewards nothing more
        await apply(
            leads, consumers.on_contract_signed, t.CONTRACT_SIGNED, signed | {"sale_id": str(uuid.uuid4())}, pid
        )
    listed = (await leads.client.get(f"/v1/projects/{pid}/referrals", headers=manager)).json()
    assert [(r["status"], r["reward"]) for r in listed] == [("rewarded", "a parking space")]
    async with leads.pool.acquire() as conn:
        events = await outbox_for(conn, t.REFERRAL_REWARDED, buyer)
    assert [(e["data"]["referrer_customer_id"], e["data"]["reward"]) for e in events] == [(owner, "a parking space")]
    assert noted != buyer
