"""Inventory use cases that read: a unit, a project, the board, the lists. The project is checked with the row
(`may_work_on` raises for staff of other projects), so the HTTP layer never touches the store."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import asyncpg

from services.inventory import store
from services.inventory.domain import ProjectSettings
from services.inventory.store.units import Conn, Rows, UnitFilter, Window
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


async def unit_detail(conn: asyncpg.Connection, unit_row: asyncpg.Record) -> tuple[Any, Any]:
    """The unit's current hold (while held) and its sale, if any."""
    hold = await store.hold(conn, unit_row["hold_id"]) if unit_row["hold_id"] and unit_row["status"] == "held" else None
    sale = await store.sale(conn, unit_row["sale_id"]) if unit_row["sale_id"] else None
    return hold, sale


async def settings_of(conn: asyncpg.Connection, project_id: uuid.UUID) -> ProjectSettings:
    """A project's settings with their defaults."""
    return store.project_settings(await store.project(conn, project_id))


async def units_page(conn: Conn, project_id: uuid.UUID, wanted: UnitFilter, window: Window) -> Rows:
    """Units in board order (building, floor, number), filtered before the page is cut."""
    return list(await store.list_units_page(conn, project_id, wanted, window))


async def open_conflicts(conn: asyncpg.Connection, project_id: uuid.UUID) -> list[asyncpg.Record]:
    """Deposits verified for units someone else had, each waiting for a manager's refund."""
    return list(await store.open_conflicts(conn, project_id))
