"""Issue 21 (v1.2), a consultant leaves a project (离职/调岗 交接) on real PostgreSQL: every customer they own there
moves once, with the scheduled call-backs, to a named colleague or in turn to the project's recently active
consultants; each move is recorded (R9) and announced (`ownership-changed`, reason `handover`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.leads import consumers
from shared.http.tokens import make_token
from shared.messaging import topics as t
from shared.trust import orgs
from tests.support.leads import apply, auth, backdate, daytime, outbox_for, register

pytestmark = pytest.mark.timeout(60)


def _leave(leads, settings, pid: str, staff: str, headers: dict | None = None, **body):
    return leads.client.post(
        f"/v1/projects/{pid}/staff/{staff}/departure",
        json={"reason": "resigned (离职)"} | body,
        headers=headers or auth(settings, "manager", pid, "m-1"),
    )


async def _customers(leads, settings, pid: str, consultant: str, n: int) -> list[str]:
    return [(await register(leads, settings, pid, consultant)).json()["id"] for _ in range(n)]


async def test_a_departure_moves_five_customers_once_with_their_call_backs(leads, settings) -> None:
    pid = str(uuid.uuid4())
    book = await _customers(leads, settings, pid, "c-a", 5)
    leaver, heir = auth(settings, "consultant", pid, "c-a"), auth(settings, "consultant", pid, "c-b")
    plan = {"due_at": daytime(1), "purpose": "bring the price list"}
    callback = (await leads.client.post(f"/v1/customers/{book[0]}/callbacks", json=plan, headers=leaver)).json()["id"]
    r = await _leave(leads, settings, pid, "c-a", to_consultant_id="c-b")
    assert r.status_code == 200 and r.json() == {"moved": 5, "to": {"c-b": 5}}
    for cid in book:
        assert (await leads.client.get(f"/v1/customers/{cid}", headers=leaver)).status_code == 404
        record = (await leads.client.get(f"/v1/customers/{cid}", headers=heir)).json()
        assert record["owner_id"] == "c-b"
        [change] = record["ownership_history"]
        assert (change["from"], change["to"], change["kind"]) == ("c-a", "c-b", "departure_handover")
        assert change["reason"] == "resigned (离职)" and change["decided_by"] == "m-1"
    again = await _leave(leads, settings, pid, "c-a", to_consultant_id="c-b")
    assert again.status_code == 200 and again.json() == {"moved": 0, "to": {}}
    done = {"outcome": "sent the price list", "next_contact_at": daytime(3)}  # the call-back is the heir's now
    assert (await leads.client.post(f"/v1/callbacks/{callback}/done", json=done, headers=leaver)).status_code == 404
    assert (await leads.client.post(f"/v1/callbacks/{callback}/done", json=done, headers=heir)).status_code == 200
    async with leads.pool.acquire() as conn:
        for cid in book:
            moved = await outbox_for(conn, t.OWNERSHIP_CHANGED, cid)
            said = [
                (e["data"]["from_consultant_id"], e["data"]["to_consultant_id"], e["data"]["reason"]) for e in moved
            ]
            assert said == [("c-a", "c-b", "handover")] and moved[0]["project_id"] == pid
        rescheduled = await outbox_for(conn, t.CALLBACK_SCHEDULED, book[0])
        sealed = await conn.fetchval(
            "SELECT count(*) FROM ownership_changes WHERE reason IS NOT NULL AND customer_id = ANY($1::uuid[])",
            [uuid.UUID(c) for c in book],
        )
        lines = await conn.fetchval(
            "SELECT count(*) FROM timeline WHERE kind = 'owner_changed' AND customer_id = ANY($1::uuid[])",
            [uuid.UUID(c) for c in book],
        )
    assert [(e["data"]["callback_id"], e["data"]["consultant_id"]) for e in rescheduled] == [
        (callback, "c-a"),
        (callback, "c-b"),
    ]
    assert sealed == 0 and lines == 5  # R18: the reason rests sealed; one timeline line per move


def _locked(customer: str, consultant: str) -> dict:
    when = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    ids = {"hold_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4()), "customer_id": customer}
    return ids | {"building": "1", "number": "101", "consultant_id": consultant, "expires_at": when, "list_price": "1"}


async def test_without_a_named_colleague_the_book_goes_round_the_recently_active(leads, settings) -> None:
    """Active in the last 30 days: c-b registered, c-c followed up, c-d (who owns customers) held a unit. Not: c-e
    (last seen 40 days ago), sales control's hold, c-f who left the project since."""
    pid = str(uuid.uuid4())
    book = await _customers(leads, settings, pid, "c-a", 7)
    await register(leads, settings, pid, "c-b")
    for who in ("c-c", "c-d", "c-e"):
        old = (await register(leads, settings, pid, who)).json()["id"]
        await backdate(leads, old, 40)
        if who == "c-c":
            body = {"channel": "phone", "content": "called", "next_contact_at": daytime(2)}
            headers = auth(settings, "consultant", pid, who)
            assert (await leads.client.post(f"/v1/customers/{old}/followups", json=body, headers=headers)).is_success
    await apply(leads, consumers.on_unit_locked, t.UNIT_LOCKED, _locked(book[0], "sc-1"), pid)
    await apply(leads, consumers.on_unit_locked, t.UNIT_LOCKED, _locked(book[1], "c-d"), pid)
    await register(leads, settings, pid, "c-f")
    assert (await _leave(leads, settings, pid, "c-f", to_consultant_id="c-b")).json()["moved"] == 1
    r = await _leave(leads, settings, pid, "c-a")
    assert r.status_code == 200 and r.json() == {"moved": 7, "to": {"c-b": 3, "c-c": 2, "c-d": 2}}
    manager = auth(settings, "manager", pid)
    owners = [(await leads.client.get(f"/v1/customers/{cid}", headers=manager)).json()["owner_id"] for cid in book]
    assert owners == ["c-b", "c-c", "c-d", "c-b", "c-c", "c-d", "c-b"]  # in registration order, heirs by id


async def test_nobody_to_take_the_book_is_a_conflict_and_nothing_moves(leads, settings) -> None:
    pid = str(uuid.uuid4())
    [cid] = await _customers(leads, settings, pid, "c-a", 1)
    r = await _leave(leads, settings, pid, "c-a")
    assert r.status_code == 409 and r.json()["error"]["code"] == "no_successor"
    same = await _leave(leads, settings, pid, "c-a", to_consultant_id="c-a")
    assert same.status_code == 422 and same.json()["error"]["code"] == "invalid_successor"
    owner = auth(settings, "consultant", pid, "c-a")
    assert (await leads.client.get(f"/v1/customers/{cid}", headers=owner)).status_code == 200
    nobody = await _leave(leads, settings, pid, "c-z")  # owns nothing here: nothing to hand on, no heir needed
    assert nobody.status_code == 200 and nobody.json() == {"moved": 0, "to": {}}


async def test_a_group_manager_hands_on_a_book_in_their_subtree_and_nowhere_else(leads, settings) -> None:
    root, east, west = (str(uuid.uuid4()) for _ in range(3))
    pid, elsewhere = str(uuid.uuid4()), str(uuid.uuid4())
    for org, parent, path in ((root, None, [root]), (east, root, [root, east]), (west, root, [root, west])):
        unit = {"org_id": org, "code": org[:4], "name": "unit", "parent_id": parent, "path_ids": path, "path": "x"}
        await apply(leads, orgs.on_org_changed, t.ORG_CHANGED, unit, org)
    for project, org in ((pid, east), (elsewhere, west)):
        created = {"project_id": project, "code": project[:4], "name": "P", "org_id": org}
        await apply(leads, consumers.on_project_created, t.PROJECT_CREATED, created, project)
    await _customers(leads, settings, pid, "c-a", 2)
    token = make_token(settings.jwt_secret, "g-1", "group_manager", [], orgs=[east])
    headers = {"Authorization": f"Bearer {token}"}
    r = await _leave(leads, settings, pid, "c-a", headers, to_consultant_id="c-b")
    assert r.status_code == 200 and r.json() == {"moved": 2, "to": {"c-b": 2}}
    assert (await _leave(leads, settings, elsewhere, "c-a", headers, to_consultant_id="c-b")).status_code == 403
    consultant = auth(settings, "consultant", pid, "c-a")
    assert (await _leave(leads, settings, pid, "c-b", consultant, to_consultant_id="c-a")).status_code == 403
