"""Inventory SQL for the group (v1.2): org units (the shared `org_units` table, with inventory's columns), their
settings templates, the projects' units (written through to the shared `project_orgs`, the tree every service
reads a group manager's reach from), and what was made before the group and is still to be announced."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from shared.db.rows import window_args

_ORG = "id, code, name, parent_id, path, path_ids, settings_template"
_INSERT_ORG = (
    "INSERT INTO org_units (id, parent_id, path_ids, code, name, path) VALUES ($1, $2, $3::uuid[], $4, $5, $6)"
    " ON CONFLICT DO NOTHING"
)
_ORGS_PAGE = (
    f"SELECT {_ORG} FROM org_units WHERE ($1::uuid[] IS NULL OR path_ids && $1)"
    " AND ($2::text IS NULL OR (path, id) > ($2, $3::uuid)) ORDER BY path, id LIMIT $4"
)
_TEMPLATES = (
    "SELECT o.settings_template FROM unnest($1::uuid[]) WITH ORDINALITY AS p(id, n)"
    " JOIN org_units o ON o.id = p.id ORDER BY p.n"
)


async def insert_org(conn: asyncpg.Connection, org: dict[str, Any]) -> bool:
    """False when the parent already has a unit with this code."""
    values = (org["id"], org["parent_id"], org["path_ids"], org["code"], org["name"], org["path"])
    return (await conn.execute(_INSERT_ORG, *values)).endswith("1")


async def org(conn: asyncpg.Connection, org_id: uuid.UUID, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_ORG} FROM org_units WHERE id = $1" + (" FOR UPDATE" if lock else ""), org_id)


async def orgs_page(
    conn: asyncpg.Connection, within: list[uuid.UUID] | None, window: tuple[tuple[Any, Any] | None, int]
) -> list[asyncpg.Record]:
    """Units by path (a parent before its children); `within`: only these units' subtrees (None: every unit)."""
    return await conn.fetch(_ORGS_PAGE, within, *window_args(window))


async def templates_along(conn: asyncpg.Connection, path_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """The settings templates of a path's units, root first."""
    return [r["settings_template"] for r in await conn.fetch(_TEMPLATES, path_ids)]


async def set_template(conn: asyncpg.Connection, org_id: uuid.UUID, template: dict[str, Any]) -> None:
    await conn.execute("UPDATE org_units SET settings_template = $2 WHERE id = $1", org_id, template)


_PROJECT = "p.id, p.code, p.name, p.city, p.settings, p.org_id, p.settings_version"
_PROJECTS_PAGE = (
    f"SELECT {_PROJECT} FROM projects p LEFT JOIN org_units o ON o.id = p.org_id"
    " WHERE ($1::uuid[] IS NULL OR p.id = ANY($1)) AND ($2::uuid IS NULL OR o.path_ids @> ARRAY[$2])"
    " AND ($3::text IS NULL OR (p.code, p.id) > ($3, $4::uuid)) ORDER BY p.code, p.id LIMIT $5"
)
_CHANGE_PROJECT = (
    "UPDATE projects SET name = $2, org_id = $3, settings = $4::jsonb, settings_version = settings_version + 1"
    " WHERE id = $1 RETURNING settings_version"
)
_PROJECT_ORG = (
    "INSERT INTO project_orgs (project_id, org_id) VALUES ($1, $2)"
    " ON CONFLICT (project_id) DO UPDATE SET org_id = excluded.org_id"
)


async def project_row(conn: asyncpg.Connection, project_id: uuid.UUID, lock: bool = False) -> asyncpg.Record | None:
    """A project with its unit and the count of its settings' changes."""
    suffix = " FOR UPDATE" if lock else ""
    return await conn.fetchrow(f"SELECT {_PROJECT} FROM projects p WHERE p.id = $1{suffix}", project_id)


async def projects_page(
    conn: asyncpg.Connection,
    visible: list[uuid.UUID] | None,
    under: uuid.UUID | None,
    window: tuple[tuple[Any, Any] | None, int],
) -> list[asyncpg.Record]:
    """Projects by code: `visible` (None: all) and, with `under`, only those in that unit's subtree."""
    return await conn.fetch(_PROJECTS_PAGE, visible, under, *window_args(window))


async def change_project(
    conn: asyncpg.Connection, project_id: uuid.UUID, name: str, org_id: uuid.UUID | None, settings: dict[str, Any]
) -> int:
    """The project's name, unit and settings from now on; its new settings version."""
    version = await conn.fetchval(_CHANGE_PROJECT, project_id, name, org_id, settings)
    await place_project(conn, project_id, org_id)
    return int(version)


async def place_project(conn: asyncpg.Connection, project_id: uuid.UUID, org_id: uuid.UUID | None) -> None:
    """The project's unit as every service's reading of the tree sees it (the shared `project_orgs`)."""
    await conn.execute(_PROJECT_ORG, project_id, org_id)


async def set_project_org(conn: asyncpg.Connection, project_id: uuid.UUID, org_id: uuid.UUID | None) -> None:
    """A new project's unit (it was inserted without one)."""
    await conn.execute("UPDATE projects SET org_id = $2 WHERE id = $1", project_id, org_id)
    await place_project(conn, project_id, org_id)


async def unannounced(conn: asyncpg.Connection) -> tuple[list[asyncpg.Record], list[asyncpg.Record]]:
    """Units and projects a migration placed in the tree that no event has told the other services of yet."""
    orgs = await conn.fetch(f"SELECT {_ORG} FROM org_units WHERE NOT announced ORDER BY path FOR UPDATE SKIP LOCKED")
    projects = await conn.fetch(f"SELECT {_PROJECT} FROM projects p WHERE NOT announced FOR UPDATE SKIP LOCKED")
    return list(orgs), list(projects)


async def mark_announced(conn: asyncpg.Connection, org_ids: list[uuid.UUID], project_ids: list[uuid.UUID]) -> None:
    await conn.execute("UPDATE org_units SET announced = true WHERE id = ANY($1)", org_ids)
    await conn.execute("UPDATE projects SET announced = true WHERE id = ANY($1)", project_ids)
