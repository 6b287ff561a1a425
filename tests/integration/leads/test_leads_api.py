"""Leads' HTTP API on real PostgreSQL: registration races (R4), phone optional (R6), isolation (R8),
assignment (R9), protection (R10), grades and cadence (R12, R13), privacy at rest and in lists (R18),
calls (R1–R3)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from services.leads import use_cases
from shared.messaging.topics import CUSTOMER_REGISTERED, FOLLOWUP_RECORDED
from shared.trust.pii import Vault
from tests.support.leads import auth, daytime, outbox_for, phone, register


async def test_same_phone_registered_concurrently_gives_one_customer_r4(leads, settings) -> None:
    pid, number = str(uuid.uuid4()), phone()
    spellings = [number, f"+86 {number}", f"{number[:3]} {number[3:7]} {number[7:]}", f"0086{number}"] * 3
    answers = await asyncio.gather(
        *(register(leads, settings, pid, f"c-{i}", phone=p) for i, p in enumerate(spellings))
    )
    # One customer; every other consultant hears 409 customer_protected with the owner and no id (v1.1).
    assert sorted(a.status_code for a in answers) == [201] + [409] * 11
    winner = next(a.json() for a in answers if a.status_code == 201)
    refused = [a.json()["error"] for a in answers if a.status_code == 409]
    assert {e["code"] for e in refused} == {"customer_protected"} and all(e["protected_until"] for e in refused)
    assert winner["id"] not in str(refused)
    async with leads.pool.acquire() as conn:
        count = await conn.fetchval("SELECT count(*) FROM customers WHERE project_id = $1", uuid.UUID(pid))
        stored = await conn.fetchrow(
            "SELECT name_enc, phone_enc, phone_hash, profile FROM customers WHERE id = $1", uuid.UUID(winner["id"])
        )
        events = await outbox_for(conn, CUSTOMER_REGISTERED, winner["id"])
    assert count == 1
    for column in ("name_enc", "phone_enc", "phone_hash"):
        assert number.encode() not in bytes(stored[column]) and b"Li Lei" not in bytes(stored[column])
    assert len(events) == 1 and events[0]["project_id"] == pid
    assert events[0]["data"]["owner_id"] == winner["owner_id"] and number not in str(events[0])
    assert "Li Lei" not in str(events[0])


async def test_the_same_phone_in_another_project_is_another_customer_r4(leads, settings) -> None:
    number = phone()
    a = await register(leads, settings, str(uuid.uuid4()), phone=number)
    b = await register(leads, settings, str(uuid.uuid4()), phone=number)
    assert (a.status_code, b.status_code) == (201, 201) and a.json()["id"] != b.json()["id"]


async def test_phone_is_optional_and_bad_input_changes_nothing_r6(leads, settings) -> None:
    pid = str(uuid.uuid4())
    headers = auth(settings, "consultant", pid)
    r = await leads.client.post(
        "/v1/customers", json={"project_id": pid, "name": "lady in red coat", "source": "walk_in"}, headers=headers
    )
    assert r.status_code == 201 and r.json()["existing"] is False
    again = await leads.client.post(
        "/v1/customers", json={"project_id": pid, "name": "lady in red coat", "source": "walk_in"}, headers=headers
    )
    assert again.status_code == 201 and again.json()["id"] != r.json()["id"]  # no phone, nothing to match on
    bad = [
        ({"phone": "12345"}, "invalid_phone"),
        ({"grade": "D"}, "invalid_grade"),
        ({"visitor_type": "vip"}, "invalid_visitor_type"),
        ({"name": "  "}, "name_required"),
        ({"project_id": "not-a-uuid"}, "invalid_request"),
    ]
    for change, code in bad:
        r = await register(leads, settings, pid, "consultant-1", **change)
        assert r.status_code == 422 and r.json()["error"]["code"] == code, (change, r.text)
    r = await leads.client.post("/v1/customers", json={"project_id": pid}, headers=headers)
    assert r.status_code == 422
    async with leads.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM customers WHERE project_id = $1", uuid.UUID(pid)) == 2


async def test_who_may_call_what(leads, settings) -> None:
    pid = str(uuid.uuid4())
    body = {"project_id": pid, "name": "x", "source": "walk_in"}
    assert (await leads.client.post("/v1/customers", json=body)).status_code == 401
    assert (
        await leads.client.post("/v1/customers", json=body, headers={"Authorization": "Bearer nonsense"})
    ).status_code == 401
    finance = auth(settings, "finance", pid)
    assert (await leads.client.post("/v1/customers", json=body, headers=finance)).status_code == 403
    other = auth(settings, "consultant", str(uuid.uuid4()))
    r = await leads.client.post("/v1/customers", json=body, headers=other)
    assert r.status_code == 403 and r.json()["error"]["code"] == "wrong_project"
    cid = (await register(leads, settings, pid)).json()["id"]
    r = await leads.client.post(
        f"/v1/customers/{cid}/assign",
        json={"consultant_id": "c-b", "reason": "x"},
        headers=auth(settings, "consultant", pid, "c-a"),
    )
    assert r.status_code == 403
    assert (await leads.client.get("/v1/customers/nope", headers=auth(settings, "manager", pid))).status_code == 422
    assert (
        await leads.client.get(f"/v1/customers/{uuid.uuid4()}", headers=auth(settings, "manager", pid))
    ).status_code == 404
    assert (
        await leads.client.get(f"/v1/customers/{cid}", headers=auth(settings, "manager", str(uuid.uuid4())))
    ).status_code == 403


async def test_consultants_see_only_their_own_customers_r8(leads, settings) -> None:
    pid = str(uuid.uuid4())
    mine = (await register(leads, settings, pid, "c-a", profile={"basic": {"occupation": "teacher"}})).json()["id"]
    b = auth(settings, "consultant", pid, "c-b")
    for path in (f"/v1/customers/{mine}", f"/v1/customers/{mine}/timeline"):
        r = await leads.client.get(path, headers=b)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    r = await leads.client.put(f"/v1/customers/{mine}/grade", json={"grade": "A"}, headers=b)
    assert r.status_code == 404
    full = (await leads.client.get(f"/v1/customers/{mine}", headers=auth(settings, "consultant", pid, "c-a"))).json()
    assert full["phone"].startswith("+86") and full["profile"] == {"basic": {"occupation": "teacher"}}
    listed = (
        await leads.client.get("/v1/customers", params={"project_id": pid}, headers=auth(settings, "manager", pid))
    ).json()
    assert [c["phone"][3:7] for c in listed] == ["****"] and "profile" not in listed[0]
    assert (await leads.client.get("/v1/customers", params={"project_id": pid}, headers=b)).json() == []
    async with leads.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT profile, profile_enc FROM customers WHERE id = $1", uuid.UUID(mine))
    assert b"teacher" not in bytes(row["profile_enc"]) and "teacher" not in str(row["profile"])  # R18 at rest


async def test_key_visitors_are_flagged_r5(leads, settings) -> None:
    pid = str(uuid.uuid4())
    cid = (await register(leads, settings, pid, visitor_type="competitor_peer")).json()["id"]
    body = (await leads.client.get(f"/v1/customers/{cid}", headers=auth(settings, "manager", pid))).json()
    assert body["visitor_type"] == "competitor_peer" and body["key_visitor"] is True
    async with leads.pool.acquire() as conn:
        assert (await outbox_for(conn, CUSTOMER_REGISTERED, cid))[0]["data"]["key_visitor"] is True


async def test_lookup_names_the_owner_without_personal_data_r4(leads, settings) -> None:
    pid, number = str(uuid.uuid4()), phone()
    await register(leads, settings, pid, "c-a", phone=number)
    r = await leads.client.get(
        "/v1/customers/lookup",
        params={"project_id": pid, "phone": f"+86 {number}"},
        headers=auth(settings, "consultant", pid, "c-b"),
    )
    body = r.json()
    assert r.status_code == 200 and body["exists"] and body["owner_id"] == "c-a" and body["owner_name"] == "C-A"
    assert body["protected"] is True and number not in r.text and "Li Lei" not in r.text
    r = await leads.client.get(
        "/v1/customers/lookup",
        params={"project_id": pid, "phone": phone()},
        headers=auth(settings, "consultant", pid, "c-b"),
    )
    assert r.json()["exists"] is False and r.json()["owner_id"] is None
    r = await leads.client.get(
        "/v1/customers/lookup",
        params={"project_id": pid, "phone": "123"},
        headers=auth(settings, "consultant", pid, "c-b"),
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_phone"


async def test_the_owner_name_is_the_latest_any_token_said(leads, settings) -> None:
    pid, number = str(uuid.uuid4()), phone()
    await register(leads, settings, pid, "c-renamed", phone=number)
    r = await leads.client.get(
        "/v1/customers",
        params={"project_id": pid},
        headers=auth(settings, "consultant", pid, "c-renamed", name="Wang Fang"),
    )
    assert r.status_code == 200
    r = await leads.client.get(
        "/v1/customers/lookup",
        params={"project_id": pid, "phone": number},
        headers=auth(settings, "consultant", pid, "c-b"),
    )
    assert r.json()["owner_name"] == "Wang Fang"


async def test_lapsed_customer_passes_to_the_consultant_who_registers_again_r10(leads, settings) -> None:
    pid, number = str(uuid.uuid4()), phone()
    first = (await register(leads, settings, pid, "c-a", phone=number)).json()
    again = await register(leads, settings, pid, "c-b", phone=number)
    assert again.status_code == 409 and again.json()["error"]["code"] == "customer_protected"
    assert first["id"] not in again.text
    async with leads.pool.acquire() as conn:
        await conn.execute(
            "UPDATE customers SET protected_until = now() - interval '1 minute' WHERE id = $1", uuid.UUID(first["id"])
        )
    moved = await register(leads, settings, pid, "c-b", phone=number)
    assert moved.status_code == 200 and moved.json()["owner_id"] == "c-b" and moved.json()["existing"]
    assert datetime.fromisoformat(moved.json()["protected_until"]) > datetime.now(UTC) + timedelta(days=19)
    assert (
        await leads.client.get(f"/v1/customers/{first['id']}", headers=auth(settings, "consultant", pid, "c-a"))
    ).status_code == 404
    async with leads.pool.acquire() as conn:
        changes = await conn.fetch(
            "SELECT kind, from_owner, to_owner FROM ownership_changes WHERE customer_id = $1", uuid.UUID(first["id"])
        )
    assert [tuple(c) for c in changes] == [("lapsed_reregistration", "c-a", "c-b")]


async def test_followup_renews_protection_and_assign_is_recorded_r9_r10(leads, settings) -> None:
    pid = str(uuid.uuid4())
    cid = (await register(leads, settings, pid, "c-a")).json()["id"]
    async with leads.pool.acquire() as conn:  # registered 15 days ago: 5 days of protection left
        await conn.execute(
            "UPDATE customers SET registered_at = now() - interval '15 days', last_touch_at ="
            " now() - interval '15 days', protected_until = now() + interval '5 days' WHERE id = $1",
            uuid.UUID(cid),
        )
    nxt = daytime(3)
    a = auth(settings, "consultant", pid, "c-a")
    r = await leads.client.post(
        f"/v1/customers/{cid}/followups",
        json={
            "channel": "wechat",
            "content": "sent floor plans",
            "next_contact_at": nxt,
            "feedback": {"explicit": ["school district"], "implicit": ["price-sensitive"]},
        },
        headers=a,
    )
    assert r.status_code == 201
    assert datetime.fromisoformat(r.json()["protected_until"]) > datetime.now(UTC) + timedelta(days=19)
    r = await leads.client.post(
        f"/v1/customers/{cid}/followups",
        json={"channel": "wechat", "content": "x", "next_contact_at": nxt},
        headers=auth(settings, "consultant", pid, "c-b"),
    )
    assert r.status_code == 404
    r = await leads.client.post(
        f"/v1/customers/{cid}/followups", json={"channel": "fax", "content": "x", "next_contact_at": nxt}, headers=a
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_channel"
    r = await leads.client.post(
        f"/v1/customers/{cid}/assign",
        json={"consultant_id": "c-b", "reason": "  "},
        headers=auth(settings, "manager", pid),
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "reason_required"
    r = await leads.client.post(
        f"/v1/customers/{cid}/assign",
        json={"consultant_id": "c-b", "reason": "visit log"},
        headers=auth(settings, "manager", pid, "m-1"),
    )
    assert r.status_code == 200 and r.json()["owner_id"] == "c-b" and r.json()["previous_owner_id"] == "c-a"
    g = await leads.client.put(
        f"/v1/customers/{cid}/grade", json={"grade": "B"}, headers=auth(settings, "consultant", pid, "c-b")
    )
    assert g.status_code == 200 and g.json()["grade"] == "B"
    timeline = (await leads.client.get(f"/v1/customers/{cid}/timeline", headers=auth(settings, "manager", pid))).json()
    assert [e["kind"] for e in timeline["timeline"]] == ["registered", "followup", "owner_changed", "grade_changed"]
    owner_changed = {"from": "c-a", "to": "c-b", "kind": "manager_assignment", "decided_by": "m-1"}
    assert timeline["timeline"][2]["detail"] == owner_changed  # the reason is free text: sealed, not on the timeline
    async with leads.pool.acquire() as conn:
        changes = await conn.fetch(
            "SELECT kind, reason, reason_enc, decided_by FROM ownership_changes WHERE customer_id = $1", uuid.UUID(cid)
        )
        followed = await outbox_for(conn, FOLLOWUP_RECORDED, cid)
        stored = await conn.fetchrow(
            "SELECT content_enc, feedback_enc, feedback FROM followups WHERE customer_id = $1", uuid.UUID(cid)
        )
    assert [(c["kind"], c["reason"], c["decided_by"]) for c in changes] == [("manager_assignment", None, "m-1")]
    assert b"visit log" not in bytes(changes[0]["reason_enc"])  # R18: sealed at rest
    full = (await leads.client.get(f"/v1/customers/{cid}", headers=auth(settings, "manager", pid))).json()
    assert [(h["kind"], h["reason"]) for h in full["ownership_history"]] == [("manager_assignment", "visit log")]
    assert [(f["by"], f["channel"], f["content"], f["feedback"]) for f in full["followups"]] == [
        ("c-a", "wechat", "sent floor plans", {"explicit": ["school district"], "implicit": ["price-sensitive"]})
    ]
    assert [(h["from"], h["to"], h["kind"]) for h in full["ownership_history"]] == [
        ("c-a", "c-b", "manager_assignment")
    ]
    assert len(followed) == 1 and followed[0]["data"]["owner_id"] == "c-a" and followed[0]["project_id"] == pid
    assert b"floor plans" not in bytes(stored["content_enc"]) and b"school" not in bytes(stored["feedback_enc"])
    assert stored["feedback"] is None


async def test_grade_sets_the_cadence_and_overdue_customers_are_listed_r12_r13(leads, settings) -> None:
    pid = str(uuid.uuid4())
    late = (await register(leads, settings, pid, "c-a", grade="A")).json()["id"]
    fine = (await register(leads, settings, pid, "c-a", grade="C")).json()["id"]
    async with leads.pool.acquire() as conn:
        await conn.execute(
            "UPDATE customers SET last_touch_at = now() - interval '8 days' WHERE id = ANY($1::uuid[])",
            [uuid.UUID(late), uuid.UUID(fine)],
        )
    a = auth(settings, "consultant", pid, "c-a")
    overdue = (await leads.client.get("/v1/customers", params={"project_id": pid, "overdue": "true"}, headers=a)).json()
    assert [c["id"] for c in overdue] == [late] and overdue[0]["followup_overdue"]
    r = await leads.client.put(f"/v1/customers/{late}/grade", json={"grade": "B"}, headers=a)  # funding stalled
    due = datetime.fromisoformat(r.json()["followup_due_at"])
    assert r.json()["previous_grade"] == "A"
    assert timedelta(days=5, hours=23) < due - datetime.now(UTC) < timedelta(days=6, hours=1)
    assert (
        await leads.client.get("/v1/customers", params={"project_id": pid, "overdue": "true"}, headers=a)
    ).json() == []
    r = await leads.client.put(f"/v1/customers/{late}/grade", json={"grade": "Z"}, headers=a)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_grade"


async def test_calls_are_logged_and_counted_per_consultant_r1_r2_r3(leads, settings) -> None:
    pid, known = str(uuid.uuid4()), phone()
    registered = (await register(leads, settings, pid, "c-a", phone=known)).json()["id"]
    t0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    calls = ((3, "c-a", known), (12, "c-a", phone()), (20, "c-b", phone()), (None, "c-b", None))
    for seconds, consultant, number in calls:
        body = {"project_id": pid, "rang_at": t0.isoformat(), "asked": "price of 3BR"}
        if seconds is not None:
            body["answered_at"] = (t0 + timedelta(seconds=seconds)).isoformat()
        if number:
            body |= {"caller_phone": number, "caller_name": "caller"}
        r = await leads.client.post("/v1/calls", json=body, headers=auth(settings, "consultant", pid, consultant))
        assert r.status_code == 201 and bool(r.json()["customer_id"]) == bool(number)
        if number == known:
            assert r.json()["customer_id"] == registered and r.json()["rings"] == 1  # c-a's own customer
    day_before, b = (t0 - timedelta(days=1)).isoformat(), auth(settings, "consultant", pid, "c-b")
    nameless = await leads.client.post(
        "/v1/calls", json={"project_id": pid, "rang_at": day_before, "caller_phone": known}, headers=b
    )
    # a known caller's call joins their record without a name, but c-b is not told c-a's customer's id (R8)
    assert nameless.status_code == 201 and nameless.json()["customer_id"] is None
    async with leads.pool.acquire() as conn:
        joined = await conn.fetchval("SELECT customer_id FROM calls WHERE id = $1", uuid.UUID(nameless.json()["id"]))
    assert str(joined) == registered
    unknown = await leads.client.post(
        "/v1/calls", json={"project_id": pid, "rang_at": day_before, "caller_phone": phone()}, headers=b
    )
    assert unknown.status_code == 201 and unknown.json()["customer_id"] is None  # no name: nobody registered (R3)
    late_evening = {
        "project_id": pid,
        "rang_at": "2026-11-23T23:30:00+08:00",
        "answered_at": "2026-11-23T23:30:02+08:00",
    }
    assert (
        await leads.client.post("/v1/calls", json=late_evening, headers=auth(settings, "consultant", pid, "c-a"))
    ).status_code == 201
    stats = (
        await leads.client.get(
            f"/v1/projects/{pid}/calls/stats", params={"date": "2026-11-23"}, headers=auth(settings, "manager", pid)
        )
    ).json()
    assert (stats["calls"], stats["answered"], stats["within_3_rings"]) == (5, 4, 3)
    assert stats["within_3_rings_rate"] == 0.6
    per = {c["consultant_id"]: c for c in stats["by_consultant"]}
    assert (per["c-a"]["calls"], per["c-a"]["within_3_rings"], per["c-a"]["avg_answer_seconds"]) == (3, 3, 5.7)
    assert (per["c-b"]["calls"], per["c-b"]["answered"], per["c-b"]["within_3_rings"]) == (2, 1, 0)
    assert per["c-b"]["within_3_rings_rate"] == 0.0 and per["c-b"]["max_answer_seconds"] == 20.0
    other_day = (
        await leads.client.get(
            f"/v1/projects/{pid}/calls/stats", params={"date": "2026-11-24"}, headers=auth(settings, "manager", pid)
        )
    ).json()
    assert other_day["calls"] == 0 and other_day["within_3_rings_rate"] is None


async def test_bad_calls_are_refused_r1(leads, settings) -> None:
    pid = str(uuid.uuid4())
    headers = auth(settings, "consultant", pid)
    t0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    bad = [
        {"answered_at": (t0 - timedelta(seconds=1)).isoformat()},
        {"caller_phone": "42", "caller_name": "x"},
        {"rang_at": "2026-11-23T10:00:00"},
    ]
    for change in bad:
        r = await leads.client.post(
            "/v1/calls", json={"project_id": pid, "rang_at": t0.isoformat()} | change, headers=headers
        )
        assert r.status_code == 422, (change, r.text)
    r = await leads.client.get(
        f"/v1/projects/{pid}/calls/stats", params={"date": "yesterday"}, headers=auth(settings, "manager", pid)
    )
    assert r.status_code == 422
    async with leads.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM calls WHERE project_id = $1", uuid.UUID(pid)) == 0


async def test_a_retried_registration_with_the_same_key_returns_the_first_answer(leads, settings) -> None:
    pid = str(uuid.uuid4())
    headers = auth(settings, "consultant", pid) | {"Idempotency-Key": str(uuid.uuid4())}
    body = {"project_id": pid, "name": "no phone", "source": "walk_in"}
    first = await leads.client.post("/v1/customers", json=body, headers=headers)
    second = await leads.client.post("/v1/customers", json=body, headers=headers)
    assert first.status_code == second.status_code == 201 and first.json() == second.json()
    async with leads.pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM customers WHERE project_id = $1", uuid.UUID(pid)) == 1


async def test_rows_stored_in_plain_before_encryption_are_sealed_r18(leads, settings) -> None:
    pid = str(uuid.uuid4())
    cid = uuid.UUID((await register(leads, settings, pid, "c-a")).json()["id"])
    async with leads.pool.acquire() as conn:  # as a row written before migration 002 looked
        await conn.execute(
            "UPDATE customers SET profile_enc = NULL, profile = $2::jsonb WHERE id = $1", cid, {"occupation": "surgeon"}
        )
        await conn.execute(
            "INSERT INTO followups (id, customer_id, consultant_id, channel, content_enc, feedback,"
            " next_contact_at) VALUES ($1, $2, 'c-a', 'phone', $3, $4::jsonb, now())",
            uuid.uuid4(),
            cid,
            Vault(settings.pii_key).encrypt("called"),
            {"worries": "loan"},
        )
        while await use_cases.seal_legacy_pii(conn, Vault(settings.pii_key)):
            pass
        row = await conn.fetchrow("SELECT profile, profile_enc FROM customers WHERE id = $1", cid)
        fb = await conn.fetchrow("SELECT feedback, feedback_enc FROM followups WHERE customer_id = $1", cid)
    assert "surgeon" not in str(row["profile"]) and b"surgeon" not in bytes(row["profile_enc"])
    assert fb["feedback"] is None and b"loan" not in bytes(fb["feedback_enc"])
    full = (await leads.client.get(f"/v1/customers/{cid}", headers=auth(settings, "manager", pid))).json()
    assert full["profile"] == {"occupation": "surgeon"} and full["followups"][0]["feedback"] == {"worries": "loan"}


async def test_the_ring_count_comes_from_the_times_never_from_the_client_r1(leads, settings) -> None:
    """A client cannot claim a call was answered within three rings: the figure is the ring and answer times'."""
    pid = str(uuid.uuid4())
    t0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    body = {"project_id": pid, "rang_at": t0.isoformat(), "answered_at": (t0 + timedelta(seconds=30)).isoformat()}
    r = await leads.client.post("/v1/calls", json=body | {"rings": 1}, headers=auth(settings, "consultant", pid))
    assert r.status_code == 201 and r.json()["rings"] > 3 and r.json()["within_3_rings"] is False
    async with leads.pool.acquire() as conn:
        sealed = await conn.fetchval("SELECT caller_phone_enc FROM calls WHERE id = $1", uuid.UUID(r.json()["id"]))
    assert sealed is None  # no number given, none kept
    r = await leads.client.post(
        "/v1/calls", json=body | {"caller_phone": "13812340000"}, headers=auth(settings, "consultant", pid)
    )
    async with leads.pool.acquire() as conn:
        sealed = await conn.fetchval("SELECT caller_phone_enc FROM calls WHERE id = $1", uuid.UUID(r.json()["id"]))
    assert sealed is not None and b"13812340000" not in bytes(sealed)  # R3, R18: kept sealed for a later registration
