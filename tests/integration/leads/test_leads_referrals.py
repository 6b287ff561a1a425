"""Issue 10, R34 (老带新) on real PostgreSQL: a customer referred by another is rewarded with them once the
referred buyer's contract is signed; the reward is the project's setting; the event says so once."""

from __future__ import annotations

import uuid

from services.leads import consumers
from shared.messaging import topics as t
from tests.support.leads import an_owner, apply, auth, outbox_for, register


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
    await an_owner(leads, owner)
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


def _contract_of(buyer: str) -> dict[str, str]:
    return {
        "sale_id": str(uuid.uuid4()),
        "unit_id": str(uuid.uuid4()),
        "customer_id": buyer,
        "contract_no": f"HT-{buyer[:8]}",
        "signed_at": "2026-11-30T10:00:00+08:00",
    }


async def _after_the_contracts(leads, settings, pid: str, buyers: list[str]) -> dict[str, str]:
    """Each buyer signs; the project's referrals by referred customer: their status. No reward anywhere."""
    for buyer in buyers:
        await apply(leads, consumers.on_contract_signed, t.CONTRACT_SIGNED, _contract_of(buyer), pid)
    listed = await leads.client.get(f"/v1/projects/{pid}/referrals", headers=auth(settings, "manager", pid))
    async with leads.pool.acquire() as conn:
        for buyer in buyers:
            assert await outbox_for(conn, t.REFERRAL_REWARDED, buyer) == []
        rewards = await conn.fetchval(
            "SELECT count(*) FROM timeline WHERE kind = 'referral_rewarded' AND customer_id = ANY($1::uuid[])",
            [uuid.UUID(b) for b in buyers],
        )
    assert rewards == 0 and all(r["reward"] is None and r["rewarded_at"] is None for r in listed.json())
    return {r["customer_id"]: r["status"] for r in listed.json()}


async def test_a_key_visitor_who_refers_a_buyer_is_recorded_and_never_rewarded_r34_r5(leads, settings) -> None:
    """R5: developer staff and a competitor's agent are no leads, so no referrers (nor referred): the buyer is
    registered as usual, the referral is listed as `key_visitor` and stays so when the buyer signs."""
    pid = str(uuid.uuid4())
    staff = (await register(leads, settings, pid, "c-a", visitor_type="developer_staff")).json()["id"]
    agent = (await register(leads, settings, pid, "c-a", visitor_type="competitor_peer")).json()["id"]
    owner = (await register(leads, settings, pid, "c-a")).json()["id"]
    buyers = []
    for referrer in (staff, agent):
        answer = await register(leads, settings, pid, "c-b", referred_by=referrer)
        assert answer.status_code == 201 and answer.json()["existing"] is False
        buyers.append(answer.json()["id"])
    peer = (await register(leads, settings, pid, "c-b", referred_by=owner, visitor_type="competitor_peer")).json()
    statuses = await _after_the_contracts(leads, settings, pid, [*buyers, peer["id"]])
    assert statuses == {buyers[0]: "key_visitor", buyers[1]: "key_visitor", peer["id"]: "key_visitor"}


async def test_a_phoneless_namesake_referred_by_itself_is_a_self_referral_never_rewarded_r34(leads, settings) -> None:
    """R6 lets a visitor be registered without a phone; registered twice under one name, "referred by" the first
    registration, it is one person: `self_referral`. So is a phoneless namesake of a referrer who left a phone.
    Two different people without phones still refer each other."""
    pid = str(uuid.uuid4())
    first = (await register(leads, settings, pid, "c-a", name="Wang Wei", phone=None)).json()["id"]
    await an_owner(leads, first)
    again = (await register(leads, settings, pid, "c-a", name=" wang  wei", phone=None, referred_by=first)).json()
    with_phone = (await register(leads, settings, pid, "c-a", name="Zhao Lei")).json()["id"]
    namesake = (await register(leads, settings, pid, "c-b", name="Zhao Lei", phone=None, referred_by=with_phone)).json()
    friend = (await register(leads, settings, pid, "c-a", name="Sun Li", phone=None, referred_by=first)).json()["id"]
    manager = auth(settings, "manager", pid)
    listed = (await leads.client.get(f"/v1/projects/{pid}/referrals", headers=manager)).json()
    assert {r["customer_id"]: r["status"] for r in listed} == {
        again["id"]: "self_referral",
        namesake["id"]: "self_referral",
        friend: "registered",
    }
    statuses = await _after_the_contracts(leads, settings, pid, [again["id"], namesake["id"]])
    assert statuses[again["id"]] == statuses[namesake["id"]] == "self_referral" and statuses[friend] == "registered"


async def test_a_referrer_who_turns_out_a_key_visitor_before_the_contract_is_not_rewarded_r34_r5(
    leads, settings
) -> None:
    """The visitor type can be corrected later (PATCH); the contract looks again, so staff are never rewarded."""
    pid = str(uuid.uuid4())
    referrer = (await register(leads, settings, pid, "c-a")).json()["id"]
    await an_owner(leads, referrer)
    buyer = (await register(leads, settings, pid, "c-b", referred_by=referrer)).json()["id"]
    patched = await leads.client.patch(
        f"/v1/customers/{referrer}", json={"visitor_type": "developer_staff"}, headers=auth(settings, "manager", pid)
    )
    assert patched.status_code == 200, patched.text
    assert await _after_the_contracts(leads, settings, pid, [buyer]) == {buyer: "key_visitor"}


async def test_only_an_owner_is_rewarded_for_a_referral_r34(leads, settings) -> None:
    """A customer of the project who owns no flat of it refers a buyer: the referral is kept as `not_an_owner` and
    never rewarded, not even after the referrer buys later; an owner's referral is rewarded when the buyer signs."""
    pid = str(uuid.uuid4())
    customer = (await register(leads, settings, pid, "c-a")).json()["id"]
    owner = (await register(leads, settings, pid, "c-a")).json()["id"]
    await an_owner(leads, owner)
    by_customer = (await register(leads, settings, pid, "c-a", referred_by=customer)).json()["id"]
    by_owner = (await register(leads, settings, pid, "c-b", referred_by=owner)).json()["id"]
    await an_owner(leads, customer)  # a flat handed over after the referral: that referral stays unrewarded
    for buyer in (by_customer, by_owner):
        await apply(leads, consumers.on_contract_signed, t.CONTRACT_SIGNED, _contract_of(buyer), pid)
    listed = (await leads.client.get(f"/v1/projects/{pid}/referrals", headers=auth(settings, "manager", pid))).json()
    assert {r["customer_id"]: (r["status"], r["reward"] is not None) for r in listed} == {
        by_customer: ("not_an_owner", False),
        by_owner: ("rewarded", True),
    }
    async with leads.pool.acquire() as conn:
        assert await outbox_for(conn, t.REFERRAL_REWARDED, by_customer) == []
