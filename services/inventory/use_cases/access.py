"""Inventory's access checks: a unit, a project or a sale, found only within the caller's projects (`may_work_on`
raises for staff of other projects), so the HTTP layer never touches the store."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import asyncpg

from services.inventory import store
from shared.kernel.errors import NotFound
from shared.trust.ownership import in_project

MayWorkOn = Callable[[str], None]


async def unit_in_reach(conn: asyncpg.Connection, unit_id: uuid.UUID, may_work_on: MayWorkOn) -> asyncpg.Record:
    """The unit, once its project is checked."""
    return in_project(await store.unit(conn, unit_id), "unit", may_work_on)


async def project_in_reach(conn: asyncpg.Connection, project_id: uuid.UUID, may_work_on: MayWorkOn) -> asyncpg.Record:
    """The project, checked before it is looked up (another project's staff learn nothing of it)."""
    may_work_on(str(project_id))
    row = await store.project(conn, project_id)
    if row is None:
        raise NotFound("no such project")
    return row


async def sale_in_reach(conn: asyncpg.Connection, sale_id: uuid.UUID, may_work_on: MayWorkOn) -> uuid.UUID:
    """The sale's id, once its project is checked."""
    return in_project(await store.sale(conn, sale_id), "sale", may_work_on)["id"]
