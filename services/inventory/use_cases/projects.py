"""Inventory use cases for a project: created and announced (its settings drive the other services' rules), and its
units imported all or nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from services.inventory import store
from services.inventory.domain import DomainError, ProjectSettings, RowProblem, UnitRow, parse_settings
from services.inventory.domain.orgs import changed_settings, check_patch, starting_settings
from services.inventory.store import orgs as orgs_store
from services.inventory.use_cases.orgs import announce_org, org_in_reach
from shared.db.rows import json_view
from shared.http.api_errors import Forbidden
from shared.http.auth import Principal
from shared.kernel.errors import found, refusal
from shared.messaging import topics
from shared.messaging.outbox import add_event

DuplicateCode = refusal("DuplicateCode", "project_code_taken", "A project's code is unique.")


class BadRows(DomainError):
    code = "invalid_units"

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("; ".join(f"row {p.row} {p.field}: {p.message}" for p in problems[:50]))
        self.problems = problems

    def extra(self) -> dict[str, Any]:
        """Each bad row and field, so the file can be fixed in one go."""
        return {"details": [p.as_json() for p in self.problems]}


@dataclass(frozen=True)
class NewProject:
    """A project to make: its settings start from its unit's inherited template, under its own explicit ones."""

    code: str
    name: str
    city: str | None
    settings: dict[str, Any] | None
    org_id: uuid.UUID | None = None


async def create_project(conn: asyncpg.Connection, new: NewProject, who: Principal) -> dict[str, Any]:
    """An admin makes a project anywhere; a group manager in a unit of their subtrees. Announced (its settings and
    unit drive the other services' rules and reach)."""
    if new.org_id is None and who.role != "admin":
        raise Forbidden("wrong_org", "a group manager makes projects in their org units: name org_id")
    project_id = uuid.uuid4()
    async with conn.transaction():
        org = await org_in_reach(conn, new.org_id, who, named_in_body=True) if new.org_id else None
        templates = await orgs_store.templates_along(conn, list(org["path_ids"])) if org else []
        settings = parse_settings(starting_settings(templates, new.settings))
        if not await store.insert_project(conn, project_id, new.code, new.name, new.city, settings):
            raise DuplicateCode(f"a project with code {new.code} exists")
        await orgs_store.set_project_org(conn, project_id, new.org_id)
        view = _project_view(project_id, new, settings)
        await add_event(conn, topics.PROJECT_CREATED, _created(view), project_id=str(project_id))
    return view


def _project_view(project_id: uuid.UUID, new: NewProject, settings: ProjectSettings) -> dict[str, Any]:
    org = str(new.org_id) if new.org_id else None
    return {"id": str(project_id), "code": new.code, "name": new.name, "city": new.city, "org_id": org} | {
        "settings": settings.as_json()
    }


def _created(view: dict[str, Any]) -> dict[str, Any]:
    return {"project_id": view["id"]} | {k: view[k] for k in ("code", "name", "city", "settings", "org_id")}


async def import_units(
    conn: asyncpg.Connection, project_id: uuid.UUID, rows: list[UnitRow], problems: list[RowProblem]
) -> int:
    """All or nothing: any bad row (or a unit that exists already) and nothing is imported."""
    if problems:
        raise BadRows(problems)
    async with conn.transaction():
        clashes = await store.insert_units(conn, project_id, rows)
        if clashes:
            index = {(r.building, r.number): i for i, r in enumerate(rows, start=1)}
            raise BadRows([RowProblem(index[c], "number", f"{c[0]}-{c[1]} exists already") for c in clashes])
    return len(rows)


async def settings_of(conn: asyncpg.Connection, project_id: uuid.UUID) -> ProjectSettings:
    """A project's settings with their defaults."""
    return store.project_settings(await store.project(conn, project_id))


async def projects_page(
    conn: asyncpg.Connection, who: Principal, under: uuid.UUID | None, window: tuple[tuple[Any, Any] | None, int]
) -> list[dict[str, Any]]:
    """The projects the caller may see — an admin every one, anyone else those of their token (a group manager's:
    every project under their units) — and with `under`, only those in that unit's subtree."""
    visible = None if who.role == "admin" else [uuid.UUID(p) for p in who.projects if _is_uuid(p)]
    return [_listed(row) for row in await orgs_store.projects_page(conn, visible, under, window)]


def _listed(row: Any) -> dict[str, Any]:
    return json_view(row, "id", "code", "name", "city", "org_id") | {"time_zone": row["settings"].get("timezone")}


@dataclass(frozen=True)
class ProjectChange:
    """What a PATCH asks: the fields it names (a null org_id names it too: the project leaves its group)."""

    fields: frozenset[str]
    name: str | None = None
    org_id: uuid.UUID | None = None
    settings: dict[str, Any] | None = None


async def change_project(conn: asyncpg.Connection, project_id: uuid.UUID, change: ProjectChange, who: Principal) -> Any:
    """From now on: the named settings change (validated like at creation, 422 naming the setting), the others stay;
    an admin or a group manager over it may also rename it or move it to another unit of their reach. Announced
    with every setting after the change (`project-changed`); nothing already done is rewritten."""
    who.require_project(str(project_id))
    check_patch(change.fields, acts_as_manager_only=who.role == "manager")
    async with conn.transaction():
        row = found(await orgs_store.project_row(conn, project_id, lock=True), "no such project")
        org_id = await _new_org(conn, row, change, who)
        settings = parse_settings(changed_settings(row["settings"], change.settings)).as_json()
        name = change.name if change.name is not None else row["name"]
        version = await orgs_store.change_project(conn, project_id, name, org_id, settings)
        changed = {"project_id": str(project_id), "org_id": str(org_id) if org_id else None, "name": name}
        changed_code = {"code": row["code"]}
        await add_event(
            conn,
            topics.PROJECT_CHANGED,
            changed | changed_code | {"settings": settings, "version": version},
            project_id=str(project_id),
        )
    return {"id": str(project_id), "code": row["code"], "city": row["city"]} | changed | {"settings": settings}


async def _new_org(conn: asyncpg.Connection, row: Any, change: ProjectChange, who: Principal) -> uuid.UUID | None:
    """The project's unit after the change: another within the caller's reach, or none (an admin only)."""
    if "org_id" not in change.fields:
        return row["org_id"]
    if change.org_id is None:
        if who.role != "admin":
            raise Forbidden("wrong_org", "only an admin takes a project out of its group")
        return None
    return (await org_in_reach(conn, change.org_id, who, named_in_body=True))["id"]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


async def announce_group(conn: asyncpg.Connection) -> int:
    """What a migration placed in the tree (the root unit of the projects made before the group) is announced
    once, so that every service learns it: org-changed for the units, project-changed for the projects."""
    async with conn.transaction():
        orgs, projects = await orgs_store.unannounced(conn)
        for org in orgs:
            await announce_org(conn, org)
        for row in projects:
            changed = {"project_id": str(row["id"]), "org_id": str(row["org_id"]) if row["org_id"] else None}
            data = changed | {"name": row["name"], "code": row["code"], "settings": row["settings"]}
            data["version"] = row["settings_version"]
            await add_event(conn, topics.PROJECT_CHANGED, data, project_id=str(row["id"]))
        await orgs_store.mark_announced(conn, [o["id"] for o in orgs], [p["id"] for p in projects])
    return len(orgs) + len(projects)
