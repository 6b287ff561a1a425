"""R5 in leads, on real PostgreSQL: the day's visitor register (来访登记: customers and key visitors registered on a
local day, and customers who came back, masked, R18; a consultant sees key visitors and their own customers, R8),
and a visitor type corrected after registration published for inventory (visitor-type-changed)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from shared.messaging import topics as t
from tests.support.leads import auth, backdate, daytime, outbox_for, register

SH = ZoneInfo("Asia/Shanghai")  # a project leads has not heard of keeps the default time zone


async def _registered_day(leads, settings, pid: str, cid: str) -> date:
    """The local day a customer was registered on, as the register counts it."""
    record = await leads.client.get(f"/v1/customers/{cid}", headers=auth(settings, "manager", pid))
    return datetime.fromisoformat(record.json()["registered_at"]).astimezone(SH).date()


async def _register_of(leads, settings, pid: str, role: str = "manager", sub: str | None = None, **params):
    return await leads.client.get(f"/v1/projects/{pid}/visitors", params=params, headers=auth(settings, role, pid, sub))


async def test_the_register_lists_walk_ins_and_key_visitors_of_the_day_not_yesterdays_r5(leads, settings) -> None:
    pid = str(uuid.uuid4())
    walk_in = (await register(leads, settings, pid, "c-a", name="Wang Xiaoming")).json()["id"]
    peer = (await register(leads, settings, pid, "c-a", name="Zhao Peer", visitor_type="competitor_peer")).json()["id"]
    earlier = (await register(leads, settings, pid, "c-a", name="Qian Earlier")).json()["id"]
    await backdate(leads, earlier, 1)
    today = await _registered_day(leads, settings, pid, walk_in)
    r = await _register_of(leads, settings, pid, day=today.isoformat())
    assert r.status_code == 200, r.text
    rows = {row["customer_id"]: row for row in r.json()}
    assert set(rows) == {walk_in, peer}
    assert rows[walk_in]["kind"] == "registered" and rows[walk_in]["visitor_type"] == "customer"
    assert rows[peer]["visitor_type"] == "competitor_peer" and rows[peer]["key_visitor"] is True
    assert rows[peer]["consultant_id"] == "c-a"  # a key visitor keeps the consultant who registered them
    yesterday = await _register_of(leads, settings, pid, day=(today - timedelta(days=1)).isoformat())
    assert [row["customer_id"] for row in yesterday.json()] == [earlier]
    if datetime.now(SH).date() == today:  # not across local midnight: no day means today in the project's zone
        assert {row["customer_id"] for row in (await _register_of(leads, settings, pid)).json()} == set(rows)


async def test_the_register_shows_masked_names_and_phones_only_r5_r18(leads, settings) -> None:
    pid = str(uuid.uuid4())
    phone = "13912345678"
    cid = (await register(leads, settings, pid, "c-a", name="Wang Xiaoming", phone=phone)).json()["id"]
    r = await _register_of(leads, settings, pid, day=(await _registered_day(leads, settings, pid, cid)).isoformat())
    assert "Wang Xiaoming" not in r.text and "Xiaoming" not in r.text and phone not in r.text
    [row] = r.json()
    assert row["name_masked"] == "W***" and row["phone_masked"] == "139****5678"
    assert set(row) == {
        "customer_id",
        "visitor_type",
        "key_visitor",
        "name_masked",
        "phone_masked",
        "consultant_id",
        "first_seen_at",
        "kind",
    }


async def test_a_customer_who_came_back_is_in_the_register_as_returned_r5_r16(leads, settings) -> None:
    pid = str(uuid.uuid4())
    back, called = [(await register(leads, settings, pid, "c-a")).json()["id"] for _ in range(2)]
    for cid in (back, called):
        await backdate(leads, cid, 3)
    for cid, channel in ((back, "visit"), (called, "phone")):
        body = {"channel": channel, "content": "talked", "next_contact_at": daytime(2)}
        owner = auth(settings, "consultant", pid, "c-a")
        assert (await leads.client.post(f"/v1/customers/{cid}/followups", json=body, headers=owner)).status_code == 201
    async with leads.pool.acquire() as conn:
        seen = await conn.fetchval("SELECT at FROM followups WHERE customer_id = $1", uuid.UUID(back))
    [row] = (await _register_of(leads, settings, pid, day=seen.astimezone(SH).date().isoformat())).json()
    assert row["customer_id"] == back and row["kind"] == "returned"
    assert datetime.fromisoformat(row["first_seen_at"]) == seen


async def test_a_consultant_sees_key_visitors_and_own_customers_not_a_colleagues_r5_r8(leads, settings) -> None:
    pid = str(uuid.uuid4())
    mine = (await register(leads, settings, pid, "c-a")).json()["id"]
    theirs = (await register(leads, settings, pid, "c-b")).json()["id"]
    staff = (await register(leads, settings, pid, "c-b", visitor_type="developer_staff")).json()["id"]
    day = (await _registered_day(leads, settings, pid, mine)).isoformat()
    consultant = await _register_of(leads, settings, pid, "consultant", "c-a", day=day)
    assert consultant.status_code == 200 and {row["customer_id"] for row in consultant.json()} == {mine, staff}
    for role in ("manager", "sales_control"):
        everyone = await _register_of(leads, settings, pid, role, day=day)
        assert {row["customer_id"] for row in everyone.json()} == {mine, theirs, staff}, role
    assert (await _register_of(leads, settings, pid, "finance", day=day)).status_code == 403
    other = await leads.client.get(f"/v1/projects/{uuid.uuid4()}/visitors", headers=auth(settings, "manager", pid))
    assert other.status_code == 403 and other.json()["error"]["code"] == "wrong_project"


async def test_the_register_pages_with_a_link_to_the_next_r5(leads, settings) -> None:
    pid = str(uuid.uuid4())
    ids = [(await register(leads, settings, pid, "c-a")).json()["id"] for _ in range(3)]
    day = (await _registered_day(leads, settings, pid, ids[0])).isoformat()
    every = [row["customer_id"] for row in (await _register_of(leads, settings, pid, day=day)).json()]
    assert sorted(every) == sorted(ids)
    first = await _register_of(leads, settings, pid, day=day, limit=1)
    assert [row["customer_id"] for row in first.json()] == every[:1] and 'rel="next"' in first.headers["link"]
    url, seen = first.headers["link"].split(">")[0].lstrip("<"), every[:1]
    while url:
        page = await leads.client.get(url, headers=auth(settings, "manager", pid))
        seen += [row["customer_id"] for row in page.json()]
        url = page.headers["link"].split(">")[0].lstrip("<") if "link" in page.headers else ""
    assert seen == every


async def test_a_bad_day_is_422_invalid_day_r5(leads, settings) -> None:
    pid = str(uuid.uuid4())
    for day in ("2026-13-01", "yesterday", "2026-1-1", "0001-01-01", ""):
        r = await _register_of(leads, settings, pid, day=day)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_day", (day, r.text)


async def test_a_visitor_type_changed_after_registration_is_published_r5(leads, settings) -> None:
    pid = str(uuid.uuid4())
    cid = (await register(leads, settings, pid, "c-a")).json()["id"]
    owner = auth(settings, "consultant", pid, "c-a")
    for body in ({"visitor_type": "developer_staff"}, {"visitor_type": "developer_staff"}, {"tags": []}):
        assert (await leads.client.patch(f"/v1/customers/{cid}", json=body, headers=owner)).status_code == 200
    async with leads.pool.acquire() as conn:
        [event] = await outbox_for(conn, t.VISITOR_TYPE_CHANGED, cid)  # once: an unchanged type is no change
    assert event["type"] == "visitor-type-changed" and event["project_id"] == pid
    assert event["data"] == {
        "customer_id": cid,
        "project_id": pid,
        "visitor_type": "developer_staff",
        "key_visitor": True,
        "changed_by": "c-a",
    }
    manager = auth(settings, "manager", pid)
    r = await leads.client.patch(f"/v1/customers/{cid}", json={"visitor_type": "customer"}, headers=manager)
    assert r.status_code == 200 and r.json()["key_visitor"] is False
    async with leads.pool.acquire() as conn:
        events = await outbox_for(conn, t.VISITOR_TYPE_CHANGED, cid)
    changes = [(e["data"]["key_visitor"], e["data"]["changed_by"]) for e in events]
    assert changes == [(True, "c-a"), (False, "manager-1")]
