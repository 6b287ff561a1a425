"""Leads use cases about a project as leads knows it: its local day (calls, the visitor register) and its group's
projects (v1.2: a root org unit and everything below it, as leads' copy of the group's tree has it)."""

from __future__ import annotations

import uuid
from datetime import date
from zoneinfo import ZoneInfo

import asyncpg

from services.leads import store
from shared.kernel.clock import now_utc
from shared.trust import orgs


async def local_today(conn: asyncpg.Connection, project_id: uuid.UUID) -> date:
    """Today in the project's time zone."""
    return now_utc().astimezone(ZoneInfo(await store.project_timezone(conn, project_id))).date()


async def group_projects(conn: asyncpg.Connection, project_id: uuid.UUID) -> list[uuid.UUID]:
    """Every project of the project's group, itself included; a project of no group is a group of its own."""
    root = await orgs.group_of(conn, project_id)
    under = await orgs.projects_under(conn, [str(root)]) if root is not None else frozenset()
    return sorted({uuid.UUID(p) for p in under} | {project_id})
