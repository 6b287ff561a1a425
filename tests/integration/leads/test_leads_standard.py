"""Issue 10, the follow-up standard in leads, on real PostgreSQL: the structured profile and the project's tag
list (R11, R12), closing a lost customer with its reason (R17), the contact cap and quiet hours (R15)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from services.leads import consumers
from shared.messaging import topics as t
from tests.support.leads import apply, auth, daytime, outbox_for, register

SH = ZoneInfo("Asia/Shanghai")


async def _project(leads, pid: str, **settings) -> None:
    data = {"project_id": pid, "code": f"P{pid[:6]}", "name": "Riverside", "settings": settings}
    await apply(leads, consumers.on_project_created, t.PROJECT_CREATED, data, pid)


async def _customer(leads, settings, **project_settings) -> tuple[str, str]:
    pid = str(uuid.uuid4())
    await _project(leads, pid, **project_settings)
    return pid, (await register(leads, settings, pid, "c-a")).json()["id"]


async def _patch(leads, settings, pid: str, cid: str, body: dict, sub: str = "c-a", role: str = "consultant"):
    return await leads.client.patch(f"/v1/customers/{cid}", json=body, headers=auth(settings, role, pid, sub))


async def _followup(leads, settings, pid: str, cid: str, next_contact: str):
    body = {"channel": "phone", "content": "called", "next_contact_at": next_contact}
    return await leads.client.post(
        f"/v1/customers/{cid}/followups", json=body, headers=auth(settings, "consultant", pid, "c-a")
    )


async def test_the_profile_changes_by_field_and_rests_sealed_r11(leads, settings) -> None:
    pid, cid = await _customer(leads, settings)
    first = {"profile": {"basic": {"occupation": "surgeon", "children": 2}, "needs": {"purpose": "upgrade"}}}
    assert (await _patch(leads, settings, pid, cid, first)).status_code == 200
    r = await _patch(leads, settings, pid, cid, {"profile": {"basic": {"children": 3}}, "grade": "A"})
    assert r.status_code == 200, r.text
    assert r.json()["profile"]["basic"] == {"occupation": "surgeon", "children": 3}
    assert r.json()["profile"]["needs"] == {"purpose": "upgrade"} and r.json()["grade"] == "A"
    async with leads.pool.acquire() as conn:
        sealed = await conn.fetchval("SELECT profile_enc FROM customers WHERE id = $1", uuid.UUID(cid))
        history = await conn.fetch(
            "SELECT detail FROM timeline WHERE customer_id = $1 AND kind = 'customer_changed' ORDER BY id",
            uuid.UUID(cid),
        )
    assert b"surgeon" not in bytes(sealed)
    assert [h["detail"] for h in history] == [
        {"by": "c-a", "fields": ["profile"]},
        {"by": "c-a", "fields": ["grade", "profile"]},
    ]


async def test_a_profile_that_contradicts_itself_or_is_unknown_is_refused(leads, settings) -> None:
    pid, cid = await _customer(leads, settings)
    budget = {"profile": {"purchasing_power": {"budget_min": "3000000.00", "budget_max": "2000000.00"}}}
    assert (await _patch(leads, settings, pid, cid, budget)).json()["error"]["code"] == "invalid_profile"
    unknown = {"profile": {"basic": {"shoe_size": 42}}}
    assert (await _patch(leads, settings, pid, cid, unknown)).status_code == 422
    assert (await _patch(leads, settings, pid, cid, {"grade": "Z"})).json()["error"]["code"] == "invalid_grade"


async def test_tags_come_from_the_projects_list_r12(leads, settings) -> None:
    pid, cid = await _customer(leads, settings, tags=["first_home", "sea_view"])
    r = await _patch(leads, settings, pid, cid, {"tags": ["sea_view", "first_home", "sea_view"]})
    assert r.status_code == 200 and r.json()["tags"] == ["sea_view", "first_home"]
    r = await _patch(leads, settings, pid, cid, {"tags": ["investor"]})
    assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_tag"
    default_pid, other = await _customer(leads, settings)
    assert (await _patch(leads, settings, default_pid, other, {"tags": ["investor"]})).status_code == 200


async def test_only_the_owner_and_the_manager_change_a_customer_r8(leads, settings) -> None:
    pid, cid = await _customer(leads, settings)
    assert (await _patch(leads, settings, pid, cid, {"consent_share": True}, sub="c-b")).status_code == 404
    r = await _patch(leads, settings, pid, cid, {"consent_share": True}, sub="m-1", role="manager")
    assert r.status_code == 200 and r.json()["consent_share"] is True


async def test_a_lost_customer_is_closed_with_a_reason_and_a_follow_up_reopens_r17(leads, settings) -> None:
    pid, cid = await _customer(leads, settings)
    url, owner = f"/v1/customers/{cid}/close", auth(settings, "consultant", pid, "c-a")
    bad = await leads.client.post(url, json={"reason": "bad_feng_shui"}, headers=owner)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_reason"
    r = await leads.client.post(url, json={"reason": "competitor", "note": "bought at Green Bay"}, headers=owner)
    assert r.status_code == 200 and r.json()["status"] == "lost" and r.json()["reason"] == "competitor"
    record = (await leads.client.get(f"/v1/customers/{cid}", headers=owner)).json()
    assert (record["status"], record["close_reason"]) == ("lost", "competitor")
    assert (await _followup(leads, settings, pid, cid, daytime(3))).status_code == 201
    assert (await leads.client.get(f"/v1/customers/{cid}", headers=owner)).json()["status"] == "active"


async def test_one_contact_per_local_day_by_default_r15(leads, settings) -> None:
    pid, cid = await _customer(leads, settings)
    assert (await _followup(leads, settings, pid, cid, daytime(2))).status_code == 201
    second = await _followup(leads, settings, pid, cid, daytime(3))
    assert second.status_code == 409 and second.json()["error"]["code"] == "contact_cap_reached"
    pid, cid = await _customer(leads, settings, max_contacts_per_day=2)
    assert [(await _followup(leads, settings, pid, cid, daytime(d))).status_code for d in (2, 3, 4)] == [201, 201, 409]


async def test_no_next_contact_inside_quiet_hours_r15(leads, settings) -> None:
    pid, cid = await _customer(leads, settings)
    night = (datetime.now(SH) + timedelta(days=2)).replace(hour=23, minute=0, second=0, microsecond=0)
    r = await _followup(leads, settings, pid, cid, night.isoformat())
    assert r.status_code == 422 and r.json()["error"]["code"] == "quiet_hours"
    pid, cid = await _customer(leads, settings, quiet_hours="23:30-07:00")
    assert (await _followup(leads, settings, pid, cid, night.isoformat())).status_code == 201


async def test_the_manager_sees_overdue_follow_ups_and_call_backs_oldest_first_r13(leads, settings) -> None:
    pid = str(uuid.uuid4())
    late, fresh, lost = [(await register(leads, settings, pid, "c-a", grade="A")).json()["id"] for _ in range(3)]
    async with leads.pool.acquire() as conn:
        for cid, days in ((late, 10), (lost, 12)):
            await conn.execute(
                "UPDATE customers SET last_touch_at = now() - make_interval(days => $2) WHERE id = $1",
                uuid.UUID(cid),
                days,
            )
    owner = auth(settings, "consultant", pid, "c-a")
    await leads.client.post(f"/v1/customers/{lost}/close", json={"reason": "price"}, headers=owner)
    planned = await leads.client.post(
        f"/v1/customers/{fresh}/callbacks", json={"due_at": daytime(1), "purpose": "x"}, headers=owner
    )
    async with leads.pool.acquire() as conn:
        await conn.execute(
            "UPDATE callbacks SET due_at = now() - interval '1 hour' WHERE id = $1", uuid.UUID(planned.json()["id"])
        )
    r = await leads.client.get(f"/v1/projects/{pid}/followups/overdue", headers=auth(settings, "manager", pid))
    assert r.status_code == 200
    assert [(i["kind"], i["customer_id"]) for i in r.json()] == [("followup", late), ("callback", fresh)]
    assert (await leads.client.get(f"/v1/projects/{pid}/followups/overdue", headers=owner)).status_code == 403


async def test_a_key_visitor_is_registered_but_is_no_lead_r5(leads, settings) -> None:
    pid = str(uuid.uuid4())
    r = await register(leads, settings, pid, "c-a", visitor_type="developer_staff")
    assert r.status_code == 201
    visitor = r.json()["id"]
    record = (await leads.client.get(f"/v1/customers/{visitor}", headers=auth(settings, "manager", pid))).json()
    assert record["key_visitor"] is True and record["protected_until"] == record["registered_at"]  # no protection
    listed = (
        await leads.client.get("/v1/customers", params={"project_id": pid}, headers=auth(settings, "manager", pid))
    ).json()
    assert visitor not in [c["id"] for c in listed]
    async with leads.pool.acquire() as conn:
        [event] = await outbox_for(conn, t.CUSTOMER_REGISTERED, visitor)
    assert event["data"]["key_visitor"] is True
