"""A project's units as the API shows them: one unit with its hold or sale, a page of the list in board order."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.inventory import store
from services.inventory.store.units import Conn, Rows, UnitFilter, Window


async def unit_detail(conn: asyncpg.Connection, unit_row: asyncpg.Record) -> tuple[Any, Any]:
    """The unit's current hold (while held) and its sale, if any."""
    hold = await store.hold(conn, unit_row["hold_id"]) if unit_row["hold_id"] and unit_row["status"] == "held" else None
    sale = await store.sale(conn, unit_row["sale_id"]) if unit_row["sale_id"] else None
    return hold, sale


async def units_page(conn: Conn, project_id: uuid.UUID, wanted: UnitFilter, window: Window) -> Rows:
    """Units in board order (building, floor, number), filtered before the page is cut."""
    return list(await store.list_units_page(conn, project_id, wanted, window))
