"""Inventory use cases for the group (集团, v1.2): org units made and listed, their settings templates, and the tree
announced to the other services (`org-changed`; a project's unit travels on `project-created`/`project-changed`)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.inventory.domain import parse_settings
from services.inventory.domain.orgs import OrgExists, UnknownOrg, is_over, org_path
from services.inventory.store import orgs as store
from shared.db.rows import json_view
from shared.http.api_errors import Forbidden
from shared.http.auth import GROUP_MANAGER, Principal
from shared.kernel.errors import NotFound
from shared.messaging import topics
from shared.messaging.outbox import add_event
from shared.trust.orgs import valid_uuids

Window = tuple[tuple[Any, Any] | None, int]


def org_view(row: Any) -> dict[str, Any]:
    """A unit as the API shows it: its place in the tree by the codes from the root (`path`)."""
    return json_view(row, "id", "code", "name", "parent_id", "path")


async def create_org(conn: asyncpg.Connection, code: str, name: str, parent_id: uuid.UUID | None) -> dict[str, Any]:
    """A unit under `parent_id` (None: a group's root), its code unique under its parent; announced."""
    async with conn.transaction():
        parent = await store.org(conn, parent_id) if parent_id is not None else None
        if parent_id is not None and parent is None:
            raise UnknownOrg("no org unit with this parent_id")
        org_id = uuid.uuid4()
        path_ids = [*(parent["path_ids"] if parent else []), org_id]
        org = {"id": org_id, "parent_id": parent_id, "path_ids": path_ids, "code": code, "name": name}
        org["path"] = org_path(parent["path"] if parent else None, code)
        if not await store.insert_org(conn, org):
            raise OrgExists(f"the parent unit has a unit with code {code} already")
        await announce_org(conn, org)
    return org_view(org)


async def announce_org(conn: asyncpg.Connection, org: Any) -> None:
    """org-changed: every service learns the unit and its place (they check a group manager's reach from it)."""
    data = {
        "org_id": str(org["id"]),
        "code": org["code"],
        "name": org["name"],
        "parent_id": str(org["parent_id"]) if org["parent_id"] else None,
        "path_ids": [str(p) for p in org["path_ids"]],
        "path": org["path"],
    }
    await add_event(conn, topics.ORG_CHANGED, data, project_id=None)


async def orgs_page(conn: asyncpg.Connection, who: Principal, window: Window) -> list[dict[str, Any]]:
    """Exactly the units the caller may see: an admin every one, a group manager their units' subtrees."""
    within = None if who.role == "admin" else valid_uuids(who.orgs)
    return [org_view(row) for row in await store.orgs_page(conn, within, window)]


async def org_in_reach(conn: asyncpg.Connection, org_id: uuid.UUID, who: Principal, named_in_body: bool) -> Any:
    """The unit, if the caller acts in it (an admin; a group manager of it or of a unit above it): 403 otherwise.
    A unit that does not exist is 422 `unknown_org` when a body names it, 404 when the path does."""
    row = await store.org(conn, org_id)
    if row is None:
        raise UnknownOrg("no such org unit") if named_in_body else NotFound("no such org unit")
    if not (who.role == "admin" or (who.role == GROUP_MANAGER and is_over(who.orgs, row["path_ids"]))):
        raise Forbidden("wrong_org", "you do not act in this org unit")
    return row


async def set_template(
    conn: asyncpg.Connection, org_id: uuid.UUID, raw: dict[str, Any], who: Principal
) -> dict[str, Any]:
    """The settings a new project of this subtree starts with (the nearest unit's template wins); validated like a
    project's (422 `invalid_settings` naming the setting), only the named settings kept."""
    row = await org_in_reach(conn, org_id, who, named_in_body=False)
    parsed = parse_settings(raw).as_json()
    template = {name: parsed[name] for name in raw}
    await store.set_template(conn, row["id"], template)
    return {"org_id": str(row["id"]), "settings": template}
