"""The group (issue 21) reaches every service through inventory's events, over the real broker: the tree, each
project's unit and its settings after a change; and replaying inventory's events rebuilds a service's view that was
lost (a service restored from nothing has neither the rows nor the inbox ids)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace

import orjson
import pytest

from services.inventory.app import build_spec as inventory_spec
from services.leads.app import build_spec as leads_spec
from services.notifications.app import build_spec as notifications_spec
from services.payments.app import build_spec as payments_spec
from shared.messaging.outbox import replay_service
from shared.trust import orgs
from tests.support.apps import running_app
from tests.support.auth import auth
from tests.support.polling import async_wait_for


@pytest.fixture(scope="module")
async def services(settings) -> AsyncIterator[SimpleNamespace]:
    async with (
        running_app(inventory_spec(), settings) as inventory,
        running_app(leads_spec(), settings) as leads,
        running_app(payments_spec(), settings) as payments,
        running_app(notifications_spec(), settings) as notifications,
    ):
        yield SimpleNamespace(inventory=inventory, leads=leads, payments=payments, notifications=notifications)


async def _post(svc, settings, url: str, body: dict) -> dict:
    answer = await svc.client.post(url, json=body, headers=auth(settings, "admin", "*"))
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _group(services, settings) -> dict[str, str]:
    """A root, a city company under it, and a project of the city company."""
    inventory = services.inventory
    root = await _post(inventory, settings, "/v1/orgs", {"code": f"G{uuid.uuid4().hex[:6]}", "name": "Group"})
    city = await _post(inventory, settings, "/v1/orgs", {"code": "HZ", "name": "Hangzhou", "parent_id": root["id"]})
    body = {"code": f"P{uuid.uuid4().hex[:8]}", "name": "River", "org_id": city["id"], "settings": {}}
    project = await _post(inventory, settings, "/v1/projects", body)
    return {"root": root["id"], "city": city["id"], "project": project["id"]}


async def _views(services, ids: dict[str, str]) -> dict[str, tuple]:
    """What each consuming service knows of the group and the project's settings it applies."""
    pid = uuid.UUID(ids["project"])
    views = {}
    for name, sql in (
        ("leads", "SELECT protection_days, timezone FROM projects WHERE project_id = $1"),
        ("payments", "SELECT cash_limit::text, timezone FROM projects WHERE project_id = $1"),
        ("notifications", "SELECT quiet_hours, timezone FROM projects WHERE project_id = $1"),
    ):
        async with getattr(services, name).pool.acquire() as conn:
            row = await conn.fetchrow(sql, pid)
            under = await orgs.projects_under(conn, [ids["root"]])
        views[name] = (tuple(row) if row else None, ids["project"] in under)
    return views


_CHANGED = {"protection_days": 45, "cash_limit": "30000.00", "quiet_hours": "22:00-08:00", "timezone": "Asia/Urumqi"}
_APPLIED = {
    "leads": ((45, "Asia/Urumqi"), True),
    "payments": (("30000.00", "Asia/Urumqi"), True),
    "notifications": (("22:00-08:00", "Asia/Urumqi"), True),
}


async def test_every_service_learns_the_tree_and_applies_a_change_from_inventorys_events(services, settings) -> None:
    ids = await _group(services, settings)
    patched = await services.inventory.client.patch(
        f"/v1/projects/{ids['project']}", json={"settings": _CHANGED}, headers=auth(settings, "admin", "*")
    )
    assert patched.status_code == 200, patched.text
    await async_wait_for(lambda: _same(services, ids, _APPLIED), timeout=60, what="the change applied everywhere")


async def test_replaying_inventorys_events_rebuilds_a_lost_view_of_the_tree(services, settings) -> None:
    async with services.inventory.pool.acquire() as conn:
        since = await conn.fetchval("SELECT now()")
    ids = await _group(services, settings)
    await services.inventory.client.patch(
        f"/v1/projects/{ids['project']}", json={"settings": _CHANGED}, headers=auth(settings, "admin", "*")
    )
    await async_wait_for(lambda: _same(services, ids, _APPLIED), timeout=60, what="the change applied everywhere")
    event_ids = await _inventory_event_ids(services, ids)
    for name in ("leads", "payments", "notifications"):
        async with getattr(services, name).pool.acquire() as conn:  # the view and its inbox lost
            await conn.execute("DELETE FROM org_units WHERE id = ANY($1::uuid[])", [ids["root"], ids["city"]])
            await conn.execute("DELETE FROM project_orgs WHERE project_id = $1", uuid.UUID(ids["project"]))
            await conn.execute("DELETE FROM projects WHERE project_id = $1", uuid.UUID(ids["project"]))
            await conn.execute("DELETE FROM inbox WHERE event_id = ANY($1::uuid[])", event_ids)
    assert all(view == (None, False) for view in (await _views(services, ids)).values())
    assert await replay_service(settings, "inventory", since) >= 4  # two units, created, changed
    await async_wait_for(lambda: _same(services, ids, _APPLIED), timeout=60, what="the view rebuilt by a replay")


async def _same(services, ids: dict[str, str], expected: dict[str, tuple]) -> bool:
    return await _views(services, ids) == expected


async def _inventory_event_ids(services, ids: dict[str, str]) -> list[uuid.UUID]:
    keys = list(ids.values())
    async with services.inventory.pool.acquire() as conn:
        rows = await conn.fetch("SELECT payload FROM outbox WHERE key = ANY($1::text[])", keys)
    return [uuid.UUID(orjson.loads(bytes(r["payload"]))["id"]) for r in rows]
