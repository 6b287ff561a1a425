"""Issue 10, R7 on real PostgreSQL: a call-back planned by the owner (never at night, R15), listed by due time,
done as a follow-up, announced for notifications to remind and then forget."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from shared.messaging.topics import CALLBACK_DONE, CALLBACK_SCHEDULED, FOLLOWUP_RECORDED
from tests.support.leads import auth, daytime, outbox_for, register


async def test_a_call_back_is_planned_listed_and_done_as_a_follow_up_r7(leads, settings) -> None:
    pid = str(uuid.uuid4())
    cid = (await register(leads, settings, pid, "c-a")).json()["id"]
    owner, manager = auth(settings, "consultant", pid, "c-a"), auth(settings, "manager", pid)
    plan = {"due_at": daytime(1), "purpose": "send the floor plans"}
    r = await leads.client.post(f"/v1/customers/{cid}/callbacks", json=plan, headers=owner)
    assert r.status_code == 201 and r.json()["status"] == "scheduled"
    callback_id = r.json()["id"]
    colleague = auth(settings, "consultant", pid, "c-b")
    assert (await leads.client.post(f"/v1/customers/{cid}/callbacks", json=plan, headers=colleague)).status_code == 404
    listed = await leads.client.get("/v1/callbacks", params={"project_id": pid, "due": "overdue"}, headers=manager)
    assert listed.status_code == 200 and listed.json() == []  # due tomorrow: not overdue yet
    done = {"outcome": "sent them; visiting Saturday", "next_contact_at": daytime(4)}
    assert (
        await leads.client.post(f"/v1/callbacks/{callback_id}/done", json=done, headers=colleague)
    ).status_code == 404
    r = await leads.client.post(f"/v1/callbacks/{callback_id}/done", json=done, headers=owner)
    assert r.status_code == 200 and r.json()["followup"]["customer_id"] == cid
    again = await leads.client.post(f"/v1/callbacks/{callback_id}/done", json=done, headers=owner)
    assert again.status_code == 409 and again.json()["error"]["code"] == "callback_done"
    async with leads.pool.acquire() as conn:
        events = {
            t.name: await outbox_for(conn, t, cid) for t in (CALLBACK_SCHEDULED, CALLBACK_DONE, FOLLOWUP_RECORDED)
        }
    assert [e["data"]["callback_id"] for e in events[CALLBACK_SCHEDULED.name]] == [callback_id]
    assert "purpose" not in events[CALLBACK_SCHEDULED.name][0]["data"]  # R18: events carry ids
    assert len(events[CALLBACK_DONE.name]) == 1 and len(events[FOLLOWUP_RECORDED.name]) == 1


async def test_a_call_back_is_not_planned_at_night_or_in_the_past_r15(leads, settings) -> None:
    pid = str(uuid.uuid4())
    cid = (await register(leads, settings, pid, "c-a")).json()["id"]
    owner = auth(settings, "consultant", pid, "c-a")
    night = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(days=1)).replace(hour=22, minute=30)
    r = await leads.client.post(
        f"/v1/customers/{cid}/callbacks", json={"due_at": night.isoformat(), "purpose": "x"}, headers=owner
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "quiet_hours"
    past = (datetime.now(ZoneInfo("UTC")) - timedelta(hours=1)).isoformat()
    r = await leads.client.post(f"/v1/customers/{cid}/callbacks", json={"due_at": past, "purpose": "x"}, headers=owner)
    assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_time"
