"""Issue 21 (v1.2), owners across the group on real PostgreSQL: the lookup tells a consultant where else in the group
a phone is a customer or an owner — only with that customer's consent (R18), never a name from there —, and a
referral by phone rewards an owner of any project of the group, once, telling the referrer's project (R34)."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from services.leads import consumers
from shared.messaging import topics as t
from shared.trust import orgs
from shared.trust.pii import Vault
from tests.support.leads import apply, auth, outbox_for, phone, register

pytestmark = pytest.mark.timeout(60)


async def _group(leads, *units: str) -> SimpleNamespace:
    """A group: a root, a unit under it per name with one project each; and a project of another group."""
    root, other_root = str(uuid.uuid4()), str(uuid.uuid4())
    tree = [(root, None, [root]), (other_root, None, [other_root])]
    ids = {name: (str(uuid.uuid4()), str(uuid.uuid4())) for name in (*units, "stranger")}  # (org, project)
    tree += [(org, root, [root, org]) for name, (org, _) in ids.items() if name != "stranger"]
    tree.append((ids["stranger"][0], other_root, [other_root, ids["stranger"][0]]))
    for org, parent, path in tree:
        unit = {"org_id": org, "code": org[:6], "name": "unit", "parent_id": parent, "path_ids": path, "path": "x"}
        await apply(leads, orgs.on_org_changed, t.ORG_CHANGED, unit, org)
    for name, (org, project) in ids.items():
        created = {"project_id": project, "code": name[:4].upper(), "name": f"{name} garden", "org_id": org}
        await apply(leads, consumers.on_project_created, t.PROJECT_CREATED, created, project)
    return SimpleNamespace(**{name: project for name, (_, project) in ids.items()})


async def _hand_over(leads, settings, pid: str, cid: str) -> None:
    data = {"sale_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4()), "customer_id": cid}
    data["handed_over_at"] = "2024-01-01T10:00:00+08:00"
    await apply(leads, consumers.handoff_builder(Vault(settings.pii_key)), t.HANDOVER_COMPLETED, data, pid)


async def _lookup(leads, settings, pid: str, number: str) -> dict:
    params = {"project_id": pid, "phone": number}
    answer = await leads.client.get("/v1/customers/lookup", params=params, headers=auth(settings, "consultant", pid))
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_the_lookup_names_the_groups_other_projects_only_with_consent(leads, settings) -> None:
    g = await _group(leads, "east", "west", "north")
    shared, private = phone(), phone()
    await register(leads, settings, g.east, "c-e", phone=shared, consent_share=True)
    owner = (await register(leads, settings, g.north, "c-n", phone=shared, consent_share=True)).json()["id"]
    await _hand_over(leads, settings, g.north, owner)
    await register(leads, settings, g.stranger, "c-s", phone=shared, consent_share=True)  # another group
    await register(leads, settings, g.east, "c-e", phone=private)  # no consent (the default)
    seen = await _lookup(leads, settings, g.west, shared)
    assert seen["exists"] is False and seen["owner_name"] is None
    assert seen["elsewhere"] == [
        {"project_id": g.east, "project_name": "east garden", "relation": "customer"},
        {"project_id": g.north, "project_name": "north garden", "relation": "owner"},
    ]
    assert (await _lookup(leads, settings, g.west, private))["elsewhere"] == []
    here = await _lookup(leads, settings, g.east, shared)  # the project itself is not "elsewhere"
    assert here["exists"] is True and [e["project_id"] for e in here["elsewhere"]] == [g.north]
    assert (await _lookup(leads, settings, g.stranger, shared))["elsewhere"] == []
    assert (await _lookup(leads, settings, str(uuid.uuid4()), shared))["elsewhere"] == []  # a project of no group


def _contract(buyer: str) -> dict[str, str]:
    ids = {"sale_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4()), "customer_id": buyer}
    return ids | {"contract_no": f"HT-{buyer[:6]}", "signed_at": "2026-11-30T10:00:00+08:00"}


async def _referrals(leads, settings, pid: str) -> dict[str, dict]:
    listed = await leads.client.get(f"/v1/projects/{pid}/referrals", headers=auth(settings, "manager", pid))
    assert listed.status_code == 200, listed.text
    return {r["customer_id"]: r for r in listed.json()}


async def test_an_owner_of_another_project_of_the_group_is_rewarded_once_r34(leads, settings) -> None:
    g = await _group(leads, "east", "west")
    number = phone()
    owner = (await register(leads, settings, g.east, "c-e", phone=number)).json()["id"]
    await _hand_over(leads, settings, g.east, owner)
    buyer = (await register(leads, settings, g.west, "c-w", referred_by_phone=number)).json()["id"]
    for _ in range(2):  # a second contract event rewards nothing more
        await apply(leads, consumers.on_contract_signed, t.CONTRACT_SIGNED, _contract(buyer), g.west)
    referral = (await _referrals(leads, settings, g.west))[buyer]
    assert (referral["referrer_customer_id"], referral["referrer_project_id"]) == (owner, g.east)
    assert referral["status"] == "rewarded" and referral["referrer_phone"] == number[:3] + "****" + number[-4:]
    assert (await _referrals(leads, settings, g.east))[buyer]["status"] == "rewarded"  # the referrer's project sees it
    async with leads.pool.acquire() as conn:
        [event] = await outbox_for(conn, t.REFERRAL_REWARDED, buyer)
        told = await conn.fetchval(
            "SELECT count(*) FROM timeline WHERE customer_id = $1 AND kind = 'referral_rewarded'", uuid.UUID(owner)
        )
    assert event["project_id"] == g.west and told == 1
    data = event["data"]
    assert (data["referrer_customer_id"], data["referrer_project_id"], data["customer_id"]) == (owner, g.east, buyer)


async def test_a_referrer_who_owns_no_home_in_the_group_is_recorded_and_never_rewarded_r34(leads, settings) -> None:
    g = await _group(leads, "east", "west")
    customer, stranger, nobody = phone(), phone(), phone()
    await register(leads, settings, g.east, "c-e", phone=customer, consent_share=True)  # a customer, no handover
    far = (await register(leads, settings, g.stranger, "c-s", phone=stranger)).json()["id"]
    await _hand_over(leads, settings, g.stranger, far)  # an owner, but of another group
    buyers = [
        (await register(leads, settings, g.west, "c-w", referred_by_phone=number)).json()["id"]
        for number in (customer, stranger, nobody)
    ]
    for buyer in buyers:
        await apply(leads, consumers.on_contract_signed, t.CONTRACT_SIGNED, _contract(buyer), g.west)
    listed = await _referrals(leads, settings, g.west)
    assert [(listed[b]["status"], listed[b]["referrer_customer_id"], listed[b]["reward"]) for b in buyers] == [
        ("not_an_owner", None, None)
    ] * 3
    async with leads.pool.acquire() as conn:
        for buyer in buyers:
            assert await outbox_for(conn, t.REFERRAL_REWARDED, buyer) == []
    bad = await register(leads, settings, g.west, "c-w", referred_by_phone="12")
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_phone"


async def test_an_owner_referring_themselves_by_phone_is_a_self_referral_r34(leads, settings) -> None:
    g = await _group(leads, "east", "west")
    number = phone()
    owner = (await register(leads, settings, g.east, "c-e", phone=number)).json()["id"]
    await _hand_over(leads, settings, g.east, owner)
    again = (await register(leads, settings, g.west, "c-w", phone=number, referred_by_phone=number)).json()["id"]
    await apply(leads, consumers.on_contract_signed, t.CONTRACT_SIGNED, _contract(again), g.west)
    assert (await _referrals(leads, settings, g.west))[again]["status"] == "self_referral"
