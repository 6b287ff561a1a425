"""Leads SQL for projects as leads knows them from inventory's project events: code and name (the hand-off),
protection period (R10), time zone and the project's rules (R12, R15)."""

from __future__ import annotations

import uuid

import asyncpg

from shared.kernel.defaults import DEFAULTS, ProjectSettings


async def project(conn: asyncpg.Connection, project_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM projects WHERE project_id = $1", project_id)


async def protection_days(conn: asyncpg.Connection, project_id: uuid.UUID) -> int:
    """The project's protection period (R10); the default until inventory's project event arrives."""
    days = await conn.fetchval("SELECT protection_days FROM projects WHERE project_id = $1", project_id)
    return days or DEFAULTS.protection_days


async def project_timezone(conn: asyncpg.Connection, project_id: uuid.UUID) -> str:
    return await conn.fetchval("SELECT timezone FROM projects WHERE project_id = $1", project_id) or DEFAULTS.timezone


_INSERT_PROJECT = (
    "INSERT INTO projects (project_id, code, name, protection_days, timezone, settings) VALUES ($1,$2,$3,$4,$5,$6)"
)
# project-created: the rules only for a project leads has not heard of (a project-changed may have come first)
_CREATED = _INSERT_PROJECT + " ON CONFLICT (project_id) DO UPDATE SET code = $2"
_CHANGED = (
    _INSERT_PROJECT
    + " ON CONFLICT (project_id) DO UPDATE SET code = $2, name = $3, protection_days = $4, timezone = $5, settings = $6"
)


async def save_project(
    conn: asyncpg.Connection, project: tuple[uuid.UUID, str, str], rules: ProjectSettings, changed: bool = False
) -> None:
    """The project as leads needs it: id, code and name (the hand-off), and its rules (R10, R12, R15); from a
    project-changed (`changed`), its rules from now on."""
    sql = _CHANGED if changed else _CREATED
    await conn.execute(sql, *project, rules.protection_days, rules.timezone, rules.as_json())


async def project_rules(conn: asyncpg.Connection, project_id: uuid.UUID) -> ProjectSettings:
    """The project's rules as its project-created said; the defaults until it arrives."""
    settings = await conn.fetchval("SELECT settings FROM projects WHERE project_id = $1", project_id)
    return ProjectSettings.from_event(settings)


async def projects(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT project_id, name, timezone FROM projects ORDER BY project_id")
