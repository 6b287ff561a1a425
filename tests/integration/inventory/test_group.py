"""The group (集团, issue 21) in inventory: org units and their errors, a group manager's reach and its edge, projects
listed and changed (the change applied to the next hold and announced with every setting), templates inherited."""

from __future__ import annotations

import uuid
from datetime import datetime

import orjson

from shared.http.tokens import make_token
from shared.messaging import topics
from tests.support.auth import auth
from tests.support.inventory import known_customer


def _admin(settings) -> dict[str, str]:
    return auth(settings, "admin", "*")


def _group_manager(settings, *orgs: str) -> dict[str, str]:
    token = make_token(settings.jwt_secret, "gm-1", "group_manager", [], orgs=list(orgs))
    return {"Authorization": f"Bearer {token}"}


async def _org(inventory, settings, code: str, parent: str | None = None) -> dict:
    body = {"code": code, "name": f"Unit {code}"} | ({"parent_id": parent} if parent else {})
    answer = await inventory.client.post("/v1/orgs", json=body, headers=_admin(settings))
    assert answer.status_code == 201, answer.text
    return answer.json()


async def _tree(inventory, settings) -> dict[str, dict]:
    """GRP → EAST → SH, and GRP → WEST: a group, two regions, a city company."""
    root = await _org(inventory, settings, f"G{uuid.uuid4().hex[:6]}")
    east = await _org(inventory, settings, "EAST", root["id"])
    west = await _org(inventory, settings, "WEST", root["id"])
    city = await _org(inventory, settings, "SH", east["id"])
    return {"root": root, "east": east, "west": west, "city": city}


async def _project(inventory, headers: dict, org_id: str | None, **settings) -> tuple[int, dict]:
    body = {"code": f"P{uuid.uuid4().hex[:8]}", "name": "Group project", "settings": settings}
    answer = await inventory.client.post(
        "/v1/projects", json=body | ({"org_id": org_id} if org_id else {}), headers=headers
    )
    return answer.status_code, answer.json()


async def test_the_tree_names_its_paths_and_refuses_unknown_parents_and_twin_codes(inventory, settings) -> None:
    tree = await _tree(inventory, settings)
    assert tree["city"]["path"] == f"{tree['root']['code']}/EAST/SH" and tree["city"]["parent_id"] == tree["east"]["id"]
    twin = await inventory.client.post(
        "/v1/orgs", json={"code": "SH", "name": "again", "parent_id": tree["east"]["id"]}, headers=_admin(settings)
    )
    assert twin.status_code == 409 and twin.json()["error"]["code"] == "org_exists"
    elsewhere = await _org(inventory, settings, "SH", tree["west"]["id"])  # the same code under another parent
    assert elsewhere["path"].endswith("/WEST/SH")
    unknown = await inventory.client.post(
        "/v1/orgs", json={"code": "X", "name": "x", "parent_id": str(uuid.uuid4())}, headers=_admin(settings)
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "unknown_org"
    refused = await inventory.client.post(
        "/v1/orgs", json={"code": "Y", "name": "y"}, headers=_group_manager(settings, tree["root"]["id"])
    )
    assert refused.status_code == 403


async def test_a_group_manager_sees_and_acts_in_their_subtree_and_nowhere_else(inventory, settings) -> None:
    tree = await _tree(inventory, settings)
    east = _group_manager(settings, tree["east"]["id"])
    listed = (await inventory.client.get("/v1/orgs", headers=east)).json()
    assert [o["path"].split("/", 1)[1] for o in listed] == ["EAST", "EAST/SH"]
    created, project = await _project(inventory, east, tree["city"]["id"])
    assert created == 201 and project["org_id"] == tree["city"]["id"]
    sibling, _ = await _project(inventory, east, tree["west"]["id"])
    assert sibling == 403  # a sibling unit
    other_status, other = await _project(inventory, _admin(settings), tree["west"]["id"])
    projects = (await inventory.client.get("/v1/projects", headers=east)).json()
    assert [p["id"] for p in projects] == [project["id"]] and projects[0]["time_zone"] == "Asia/Shanghai"
    units = await inventory.client.get(f"/v1/projects/{other['id']}/units", headers=east)
    assert other_status == 201 and units.status_code == 403
    mine = await inventory.client.get(f"/v1/projects/{project['id']}/units", headers=east)
    assert mine.status_code == 200
    under = (await inventory.client.get(f"/v1/projects?org_id={tree['west']['id']}", headers=_admin(settings))).json()
    assert [p["id"] for p in under] == [other["id"]]


async def test_a_consultant_lists_their_own_projects(inventory, settings) -> None:
    tree = await _tree(inventory, settings)
    _, project = await _project(inventory, _admin(settings), tree["city"]["id"])
    listed = (await inventory.client.get("/v1/projects", headers=auth(settings, "consultant", project["id"]))).json()
    assert [p["id"] for p in listed] == [project["id"]]
    assert set(listed[0]) == {"id", "code", "name", "city", "org_id", "time_zone"}


async def test_a_new_project_starts_from_the_nearest_template_under_its_own_settings(inventory, settings) -> None:
    tree = await _tree(inventory, settings)
    gm = _group_manager(settings, tree["root"]["id"])
    put = await inventory.client.put(
        f"/v1/orgs/{tree['root']['id']}/settings-template",
        json={"settings": {"hold_minutes": 45, "protection_days": 25}},
        headers=gm,
    )
    assert put.status_code == 200 and put.json()["settings"] == {"hold_minutes": 45, "protection_days": 25}
    await inventory.client.put(
        f"/v1/orgs/{tree['east']['id']}/settings-template", json={"settings": {"hold_minutes": 50}}, headers=gm
    )
    _, project = await _project(inventory, gm, tree["city"]["id"], protection_days=30)
    assert (project["settings"]["hold_minutes"], project["settings"]["protection_days"]) == (50, 30)
    bad = await inventory.client.put(
        f"/v1/orgs/{tree['east']['id']}/settings-template", json={"settings": {"hold_minutes": 0}}, headers=gm
    )
    assert bad.status_code == 422 and "hold_minutes" in bad.json()["error"]["message"]
    outside = await inventory.client.put(
        f"/v1/orgs/{tree['west']['id']}/settings-template",
        json={"settings": {"hold_minutes": 40}},
        headers=_group_manager(settings, tree["east"]["id"]),
    )
    assert outside.status_code == 403


async def test_a_changed_setting_applies_from_now_on_and_is_announced_with_every_setting(inventory, settings) -> None:
    tree = await _tree(inventory, settings)
    _, project = await _project(inventory, _admin(settings), tree["city"]["id"], hold_minutes=30)
    pid = project["id"]
    rows = [{"building": "B", "number": str(n), "floor": 1, "layout": "2BR", "area_m2": "80.00",
             "list_price": "1000000.00", "floor_price": "900000.00"} for n in (1, 2)]  # fmt: skip
    await inventory.client.post(f"/v1/projects/{pid}/units", json=rows, headers=_admin(settings))
    units = (await inventory.client.get(f"/v1/projects/{pid}/units", headers=auth(settings, "manager", pid))).json()
    customer = await known_customer(inventory, pid)
    before = await _hold(inventory, settings, pid, units[0]["id"], customer)
    patched = await inventory.client.patch(
        f"/v1/projects/{pid}", json={"settings": {"hold_minutes": 60}}, headers=auth(settings, "manager", pid)
    )
    assert patched.status_code == 200 and patched.json()["settings"]["hold_minutes"] == 60
    after = await _hold(inventory, settings, pid, units[1]["id"], customer)
    assert round((after["expires"] - after["at"]).total_seconds() / 60) == 60
    assert round((before["expires"] - before["at"]).total_seconds() / 60) == 30  # the past is not rewritten
    announced = await _events(inventory, topics.PROJECT_CHANGED, pid)
    assert announced[-1]["settings"]["hold_minutes"] == 60 and set(announced[-1]["settings"]) >= {
        "protection_days", "cash_limit", "cash_banking_days", "quiet_hours", "timezone", "tags", "max_contacts_per_day"
    }  # fmt: skip
    assert announced[-1]["org_id"] == tree["city"]["id"] and announced[-1]["name"] == "Group project"


async def test_what_a_manager_may_not_change_and_settings_out_of_range(inventory, settings) -> None:
    tree = await _tree(inventory, settings)
    _, project = await _project(inventory, _admin(settings), tree["city"]["id"])
    url, manager = f"/v1/projects/{project['id']}", auth(settings, "manager", project["id"])
    renamed = await inventory.client.patch(url, json={"name": "Mine now"}, headers=manager)
    assert renamed.status_code == 403
    wrong = await inventory.client.patch(url, json={"settings": {"protection_days": 400}}, headers=manager)
    assert wrong.status_code == 422 and wrong.json()["error"]["code"] == "invalid_settings"
    assert "protection_days" in wrong.json()["error"]["message"]
    unknown = await inventory.client.patch(url, json={"settings": {"colour": "red"}}, headers=manager)
    assert unknown.status_code == 422 and "colour" in unknown.json()["error"]["message"]
    sibling = await inventory.client.patch(
        url, json={"settings": {"hold_minutes": 40}}, headers=_group_manager(settings, tree["west"]["id"])
    )
    assert sibling.status_code == 403
    moved = await inventory.client.patch(
        url,
        json={"name": "Renamed", "org_id": tree["east"]["id"]},
        headers=_group_manager(settings, tree["root"]["id"]),
    )
    assert moved.status_code == 200 and (moved.json()["name"], moved.json()["org_id"]) == (
        "Renamed",
        tree["east"]["id"],
    )


async def _hold(inventory, settings, pid: str, unit_id: str, customer: str) -> dict[str, datetime]:
    answer = await inventory.client.post(
        f"/v1/units/{unit_id}/holds", json={"customer_id": customer}, headers=auth(settings, "consultant", pid)
    )
    assert answer.status_code == 201, answer.text
    async with inventory.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT created_at, expires_at FROM holds WHERE id = $1", uuid.UUID(answer.json()["hold_id"])
        )
    return {"at": row["created_at"], "expires": row["expires_at"]}


async def _events(inventory, topic: topics.Topic, key: str) -> list[dict]:
    async with inventory.pool.acquire() as conn:
        rows = await conn.fetch("SELECT payload FROM outbox WHERE topic = $1 AND key = $2 ORDER BY id", topic.name, key)
    return [orjson.loads(bytes(r["payload"]))["data"] for r in rows]
