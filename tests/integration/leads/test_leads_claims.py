"""Issue 10, R9 (业务交叉) on real PostgreSQL: a claim filed by a consultant who is not the owner, listed for the
manager with what each side did, decided; ownership moves and is announced."""

from __future__ import annotations

import uuid

from shared.messaging.topics import OWNERSHIP_CHANGED
from tests.support.leads import auth, daytime, outbox_for, register


async def _claim(leads, settings, pid: str, cid: str, sub: str, role: str = "consultant"):
    url = f"/v1/customers/{cid}/claims"
    return await leads.client.post(
        url, json={"reason": "met them at the launch"}, headers=auth(settings, role, pid, sub)
    )


async def test_a_claim_is_filed_once_by_someone_who_is_not_the_owner_r9(leads, settings) -> None:
    pid = str(uuid.uuid4())
    cid = (await register(leads, settings, pid, "c-a")).json()["id"]
    r = await _claim(leads, settings, pid, cid, "c-b")
    assert r.status_code == 201 and r.json()["status"] == "open"
    again = await _claim(leads, settings, pid, cid, "c-b")
    assert again.status_code == 409 and again.json()["error"]["code"] == "claim_exists"
    own = await _claim(leads, settings, pid, cid, "c-a")
    assert own.status_code == 409 and own.json()["error"]["code"] == "already_owner"
    elsewhere = await leads.client.post(
        f"/v1/customers/{cid}/claims", json={"reason": "x"}, headers=auth(settings, "consultant", str(uuid.uuid4()))
    )
    assert elsewhere.status_code == 403


async def test_the_manager_sees_both_sides_and_decides_r9(leads, settings) -> None:
    pid = str(uuid.uuid4())
    cid = (await register(leads, settings, pid, "c-a")).json()["id"]
    body = {"channel": "visit", "content": "showed the model flat", "next_contact_at": daytime(2)}
    await leads.client.post(
        f"/v1/customers/{cid}/followups", json=body, headers=auth(settings, "consultant", pid, "c-a")
    )
    claim_id = (await _claim(leads, settings, pid, cid, "c-b")).json()["id"]
    manager = auth(settings, "manager", pid)
    listed = (await leads.client.get("/v1/claims", params={"project_id": pid}, headers=manager)).json()
    sides = {s["consultant_id"]: s for s in listed[0]["sides"]}
    assert [f["channel"] for f in sides["c-a"]["followups"]] == ["visit"] and sides["c-b"]["followups"] == []
    wrong = await leads.client.post(
        f"/v1/claims/{claim_id}/decision", json={"winner_id": "c-z", "reason": "x"}, headers=manager
    )
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_winner"
    r = await leads.client.post(
        f"/v1/claims/{claim_id}/decision", json={"winner_id": "c-b", "reason": "first visit"}, headers=manager
    )
    assert r.status_code == 200 and r.json()["owner_id"] == "c-b"
    again = await leads.client.post(
        f"/v1/claims/{claim_id}/decision", json={"winner_id": "c-a", "reason": "x"}, headers=manager
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "claim_decided"
    assert (
        await leads.client.get(f"/v1/customers/{cid}", headers=auth(settings, "consultant", pid, "c-b"))
    ).status_code == 200
    assert (
        await leads.client.get(f"/v1/customers/{cid}", headers=auth(settings, "consultant", pid, "c-a"))
    ).status_code == 404
    async with leads.pool.acquire() as conn:
        moved = await outbox_for(conn, OWNERSHIP_CHANGED, cid)
    assert [(e["data"]["from_consultant_id"], e["data"]["to_consultant_id"], e["data"]["reason"]) for e in moved] == [
        ("c-a", "c-b", "claim")
    ]
    decided = (
        await leads.client.get("/v1/claims", params={"project_id": pid, "status": "decided"}, headers=manager)
    ).json()
    assert [(c["winner_id"], c["decision_reason"]) for c in decided] == [("c-b", "first visit")]


async def test_a_claim_decided_for_an_owner_who_left_keeps_the_customer_with_the_heir_r9(leads, settings) -> None:
    pid = str(uuid.uuid4())
    cid = (await register(leads, settings, pid, "c-a")).json()["id"]
    claim_id = (await _claim(leads, settings, pid, cid, "c-b")).json()["id"]
    manager = auth(settings, "manager", pid, "m-1")
    left = await leads.client.post(
        f"/v1/projects/{pid}/staff/c-a/departure", json={"reason": "moved", "to_consultant_id": "c-h"}, headers=manager
    )
    assert left.json()["moved"] == 1  # issue 21: c-a's book is c-h's now
    decided = await leads.client.post(
        f"/v1/claims/{claim_id}/decision", json={"winner_id": "c-a", "reason": "c-a met them first"}, headers=manager
    )
    assert decided.status_code == 200 and decided.json()["owner_id"] == "c-h"
    record = await leads.client.get(f"/v1/customers/{cid}", headers=auth(settings, "consultant", pid, "c-h"))
    assert record.json()["owner_id"] == "c-h"
