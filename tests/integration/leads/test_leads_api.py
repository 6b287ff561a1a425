"""Leads on real PostgreSQL: registration races, isolation (R8), lapsed protection (R10), follow-ups, hand-off."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import orjson
import pytest

from services.leads import consumers
from services.leads.app import build_spec
from services.leads.pii import Vault
from shared.auth_tokens import make_token
from shared.catalogue import HANDOVER_COMPLETED, SUBSCRIPTION_SIGNED
from shared.envelope import new_envelope
from tests.support.apps import running_app


def auth(settings, role, project, sub=None, name=None):
    return {"Authorization": f"Bearer {make_token(settings.jwt_secret, sub or role + '-1', role, [project], name=name)}"}


@pytest.fixture(scope="module")
async def leads(settings):
    async with running_app(build_spec(), settings) as svc:
        yield svc


def phone() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


async def register(leads, settings, pid, consultant="c-a", **body):
    payload = {"project_id": pid, "name": "Li Lei", "phone": phone(), "source": "walk_in"} | body
    return await leads.client.post("/v1/customers", json=payload, headers=auth(settings, "consultant", pid, consultant,
                                                                               name=consultant.upper()))


async def test_same_phone_registered_concurrently_gives_one_customer_r4(leads, settings) -> None:
    pid, number = str(uuid.uuid4()), phone()
    answers = await asyncio.gather(*(register(leads, settings, pid, f"c-{i}", phone=number) for i in range(8)))
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert all(a.json()["existing"] for a in answers if a.status_code == 200)
    async with leads.pool.acquire() as conn:
        stored = await conn.fetchrow("SELECT name_enc, phone_enc FROM customers WHERE id = $1",
                                     uuid.UUID(answers[0].json()["id"]))
    assert number.encode() not in bytes(stored["phone_enc"]) and b"Li Lei" not in bytes(stored["name_enc"])


async def test_phone_is_optional_and_bad_phones_are_422_r6(leads, settings) -> None:
    pid = str(uuid.uuid4())
    r = await leads.client.post("/v1/customers", json={"project_id": pid, "name": "lady in red coat",
                                                       "source": "walk_in"}, headers=auth(settings, "consultant", pid))
    assert r.status_code == 201
    r = await register(leads, settings, pid, phone="12345")
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_phone"
    assert (await leads.client.post("/v1/customers", json={"project_id": pid, "name": "x", "source": "walk_in"},
                                    headers=auth(settings, "finance", pid))).status_code == 403


async def test_consultants_see_only_their_own_customers_r8(leads, settings) -> None:
    pid = str(uuid.uuid4())
    mine = (await register(leads, settings, pid, "c-a")).json()["id"]
    assert (await leads.client.get(f"/v1/customers/{mine}", headers=auth(settings, "consultant", pid, "c-b"))).status_code == 404
    full = (await leads.client.get(f"/v1/customers/{mine}", headers=auth(settings, "consultant", pid, "c-a"))).json()
    assert full["phone"].startswith("+86")
    listed = (await leads.client.get("/v1/customers", params={"project_id": pid},
                                     headers=auth(settings, "manager", pid))).json()["customers"]
    assert [c["phone"][3:7] for c in listed] == ["****"]
    assert (await leads.client.get("/v1/customers", params={"project_id": pid},
                                   headers=auth(settings, "consultant", pid, "c-b"))).json()["customers"] == []


async def test_lookup_names_the_owner_without_personal_data_r4(leads, settings) -> None:
    pid, number = str(uuid.uuid4()), phone()
    await register(leads, settings, pid, "c-a", phone=number)
    r = await leads.client.get("/v1/customers/lookup", params={"project_id": pid, "phone": number},
                               headers=auth(settings, "consultant", pid, "c-b"))
    body = r.json()
    assert body["exists"] and body["owner_id"] == "c-a" and body["owner_name"] == "C-A"
    assert number not in r.text and "Li Lei" not in r.text


async def test_lapsed_customer_passes_to_the_consultant_who_registers_again_r10(leads, settings) -> None:
    pid, number = str(uuid.uuid4()), phone()
    first = (await register(leads, settings, pid, "c-a", phone=number)).json()
    again = await register(leads, settings, pid, "c-b", phone=number)
    assert again.status_code == 200 and again.json()["owner_id"] == "c-a"
    async with leads.pool.acquire() as conn:
        await conn.execute("UPDATE customers SET protected_until = now() - interval '1 minute' WHERE id = $1",
                           uuid.UUID(first["id"]))
    moved = await register(leads, settings, pid, "c-b", phone=number)
    assert moved.status_code == 200 and moved.json()["owner_id"] == "c-b" and moved.json()["existing"]
    async with leads.pool.acquire() as conn:
        kinds = await conn.fetch("SELECT kind FROM ownership_changes WHERE customer_id = $1", uuid.UUID(first["id"]))
    assert [k["kind"] for k in kinds] == ["lapsed_reregistration"]


async def test_followup_renews_protection_and_assign_is_recorded_r9_r10(leads, settings) -> None:
    pid = str(uuid.uuid4())
    cid = (await register(leads, settings, pid, "c-a")).json()["id"]
    nxt = (datetime.now(timezone.utc) + timedelta(days=3)).isoformat()
    r = await leads.client.post(f"/v1/customers/{cid}/followups", json={
        "channel": "wechat", "content": "sent floor plans", "next_contact_at": nxt},
        headers=auth(settings, "consultant", pid, "c-a"))
    assert r.status_code == 201
    assert datetime.fromisoformat(r.json()["protected_until"]) > datetime.now(timezone.utc) + timedelta(days=19)
    r = await leads.client.post(f"/v1/customers/{cid}/followups", json={
        "channel": "wechat", "content": "x", "next_contact_at": nxt}, headers=auth(settings, "consultant", pid, "c-b"))
    assert r.status_code == 404
    r = await leads.client.post(f"/v1/customers/{cid}/assign", json={"consultant_id": "c-b", "reason": "visit log"},
                                headers=auth(settings, "manager", pid))
    assert r.status_code == 200 and r.json()["owner_id"] == "c-b"
    assert (await leads.client.put(f"/v1/customers/{cid}/grade", json={"grade": "B"},
                                   headers=auth(settings, "consultant", pid, "c-b"))).json()["grade"] == "B"
    timeline = (await leads.client.get(f"/v1/customers/{cid}/timeline", headers=auth(settings, "manager", pid))).json()
    assert [e["kind"] for e in timeline["timeline"]] == ["registered", "followup", "owner_changed"]


async def test_calls_are_logged_and_counted_r1_r3(leads, settings) -> None:
    pid = str(uuid.uuid4())
    t0 = datetime(2026, 11, 23, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai
    for seconds, consultant in ((3, "c-a"), (12, "c-a"), (20, "c-b")):
        r = await leads.client.post("/v1/calls", json={
            "project_id": pid, "rang_at": t0.isoformat(), "answered_at": (t0 + timedelta(seconds=seconds)).isoformat(),
            "caller_phone": phone(), "caller_name": "caller", "asked": "price of 3BR"},
            headers=auth(settings, "consultant", pid, consultant))
        assert r.status_code == 201 and r.json()["customer_id"]
    stats = (await leads.client.get(f"/v1/projects/{pid}/calls/stats", params={"date": "2026-11-23"},
                                    headers=auth(settings, "manager", pid))).json()
    assert stats["calls"] == 3 and stats["within_3_rings"] == 2


async def _apply(leads, handler, topic, data, pid):
    env = new_envelope(topic.event_type, topic.data_model.model_validate(data).model_dump(mode="json"),
                       producer="test", project_id=pid)
    async with leads.pool.acquire() as conn, conn.transaction():
        await handler(conn, env, topic.data_model.model_validate(env.data))
        return await conn.fetch("SELECT topic, convert_from(payload, 'UTF8') AS body FROM outbox"
                                " WHERE convert_from(payload, 'UTF8')::jsonb->>'causation_id' = $1", str(env.id))


@pytest.mark.parametrize("consent", [True, False])
async def test_handoff_shares_the_phone_only_with_consent_r18_r32(leads, settings, consent) -> None:
    pid, number = str(uuid.uuid4()), phone()
    cid = (await register(leads, settings, pid, "c-a", phone=number, consent_share=consent)).json()["id"]
    data = {"sale_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4()), "customer_id": cid,
            "handed_over_at": "2027-06-01T10:00:00+08:00", "contract_no": "HT-9",
            "project": {"id": pid, "code": "P", "name": "Garden"},
            "unit": {"building": "B1", "number": "1801", "floor": 18, "area_m2": "89.50"}}
    rows = await _apply(leads, consumers.handoff_builder(Vault(settings.pii_key)), HANDOVER_COMPLETED, data, pid)
    assert [r["topic"] for r in rows] == ["estate.property.handoff.v1"]
    handoff = orjson.loads(rows[0]["body"])["data"]
    assert handoff["resident"]["name"] == "Li Lei" and handoff["contract_no"] == "HT-9"
    assert ("phone" in handoff["resident"]) is consent


async def test_deal_credit_goes_to_the_closer_after_protection_lapsed_r10(leads, settings) -> None:
    pid = str(uuid.uuid4())
    cid = (await register(leads, settings, pid, "c-a")).json()["id"]
    data = {"sale_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4()), "customer_id": cid, "price": "1000000.00",
            "down_payment": {"amount": "300000.00", "due_date": "2026-12-31"}, "consultant_id": "c-b"}
    rows = await _apply(leads, consumers.on_subscription_signed, SUBSCRIPTION_SIGNED, data, pid)
    assert orjson.loads(rows[0]["body"])["data"]["consultant_id"] == "c-a"  # still protected: the owner
    async with leads.pool.acquire() as conn:
        await conn.execute("UPDATE customers SET protected_until = now() - interval '1 day' WHERE id = $1",
                           uuid.UUID(cid))
    rows = await _apply(leads, consumers.on_subscription_signed, SUBSCRIPTION_SIGNED,
                        data | {"sale_id": str(uuid.uuid4())}, pid)
    assert orjson.loads(rows[0]["body"])["data"]["consultant_id"] == "c-b"
