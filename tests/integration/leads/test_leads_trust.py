"""Issue 8 in leads, on real PostgreSQL: ownership moves are published, tags and call notes rest sealed (R18),
unbounded input is a 422 (never a 500), and the customer list pages with the overdue filter applied first."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from shared.messaging.topics import OWNERSHIP_CHANGED
from tests.support.leads import auth, outbox_for, phone, register


async def test_assignment_and_lapse_publish_ownership_changed_r9_r10(leads, settings) -> None:
    pid, number = str(uuid.uuid4()), phone()
    cid = (await register(leads, settings, pid, "c-a", phone=number)).json()["id"]
    r = await leads.client.post(
        f"/v1/customers/{cid}/assign",
        json={"consultant_id": "c-b", "reason": "R9 ruling"},
        headers=auth(settings, "manager", pid),
    )
    assert r.status_code == 200
    async with leads.pool.acquire() as conn:
        await conn.execute(
            "UPDATE customers SET protected_until = now() - interval '1 minute' WHERE id = $1", uuid.UUID(cid)
        )
    assert (await register(leads, settings, pid, "c-c", phone=number)).status_code == 200
    async with leads.pool.acquire() as conn:
        events = await outbox_for(conn, OWNERSHIP_CHANGED, cid)
    assert [(e["data"]["from_consultant_id"], e["data"]["to_consultant_id"], e["data"]["reason"]) for e in events] == [
        ("c-a", "c-b", "assign"),
        ("c-b", "c-c", "lapse"),
    ]
    assert all(e["data"]["project_id"] == pid for e in events)


async def test_tags_and_call_notes_rest_sealed_r18(leads, settings) -> None:
    pid = str(uuid.uuid4())
    cid = (await register(leads, settings, pid, "c-a", tags=["school_district", "upgrade"])).json()["id"]
    call = await leads.client.post(
        "/v1/calls",
        json={
            "project_id": pid,
            "rang_at": datetime.now(UTC).isoformat(),
            "asked": "asks about the 3BR and his divorce",
        },
        headers=auth(settings, "consultant", pid, "c-a"),
    )
    async with leads.pool.acquire() as conn:
        customer = await conn.fetchrow("SELECT tags, tags_enc FROM customers WHERE id = $1", uuid.UUID(cid))
        note = await conn.fetchrow("SELECT asked, asked_enc FROM calls WHERE id = $1", uuid.UUID(call.json()["id"]))
    assert customer["tags"] == [] and b"school" not in bytes(customer["tags_enc"])
    assert note["asked"] is None and b"divorce" not in bytes(note["asked_enc"])
    shown = await leads.client.get(f"/v1/customers/{cid}", headers=auth(settings, "consultant", pid, "c-a"))
    assert shown.json()["tags"] == ["school_district", "upgrade"]


@pytest.mark.parametrize(
    "body",
    [
        {"profile": {"children": 2**70}},
        {"profile": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}},
        {"tags": ["x" * 100_000]},
        {"tags": ["t"] * 500},
        {"name": "x" * 1000},
    ],
    ids=["int-over-64-bits", "too-deep", "huge-tag", "too-many-tags", "huge-name"],
)
async def test_unbounded_customer_input_is_422(leads, settings, body) -> None:
    r = await register(leads, settings, str(uuid.uuid4()), "c-a", **body)
    assert r.status_code == 422, r.text


@pytest.mark.parametrize(
    "rang, answered",
    [
        ("0001-01-01T00:00:00+14:00", None),
        ("9999-12-31T23:59:59-12:00", None),
        ("0004-01-01T00:00:00+00:00", "2000-01-01T00:00:00+00:00"),
    ],
)
async def test_times_at_the_edges_are_422_not_500(leads, settings, rang, answered) -> None:
    pid = str(uuid.uuid4())
    body = {"project_id": pid, "rang_at": rang} | ({"answered_at": answered} if answered else {})
    r = await leads.client.post("/v1/calls", json=body, headers=auth(settings, "consultant", pid, "c-a"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_time"


async def test_the_customer_list_pages_and_filters_overdue_before_the_page(leads, settings) -> None:
    pid = str(uuid.uuid4())
    ids = [(await register(leads, settings, pid, "c-a", grade="A")).json()["id"] for _ in range(5)]
    async with leads.pool.acquire() as conn:  # two of them were last touched long ago: their follow-up is overdue
        await conn.execute(
            "UPDATE customers SET last_touch_at = now() - interval '30 days', next_contact_at = NULL"
            " WHERE id = ANY($1::uuid[])",
            [uuid.UUID(i) for i in ids[:2]],
        )
    who = auth(settings, "consultant", pid, "c-a")
    first = await leads.client.get("/v1/customers", params={"project_id": pid, "limit": 3}, headers=who)
    assert [c["id"] for c in first.json()] == ids[::-1][:3] and 'rel="next"' in first.headers["link"]
    rest = await leads.client.get(first.headers["link"].split(">")[0].lstrip("<"), headers=who)
    assert [c["id"] for c in rest.json()] == ids[::-1][3:] and "link" not in rest.headers
    overdue = await leads.client.get(
        "/v1/customers", params={"project_id": pid, "overdue": "true", "limit": 1}, headers=who
    )
    assert [c["id"] for c in overdue.json()] == [ids[1]] and "link" in overdue.headers
    tail = await leads.client.get(overdue.headers["link"].split(">")[0].lstrip("<"), headers=who)
    assert [c["id"] for c in tail.json()] == [ids[0]] and "link" not in tail.headers


async def test_call_stats_of_a_day_outside_sane_bounds_is_422(leads, settings) -> None:
    pid = str(uuid.uuid4())
    r = await leads.client.get(
        f"/v1/projects/{pid}/calls/stats", params={"date": "0001-01-01"}, headers=auth(settings, "manager", pid)
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_time"
