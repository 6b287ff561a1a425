"""Inventory SQL for prices (issue 24): the units an adjustment touches (locked), the adjustment and each unit's old
and new price (R35), the new price on the unit and in its history (the board stream sends it), the history read
back, and whether a unit was repriced after a quote."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from shared.db.rows import insert_row, window_args

_UNITS = (
    "SELECT id, building, number, status, list_price, floor_price FROM units WHERE project_id = $1"
    " AND ($2::uuid[] IS NULL OR id = ANY($2)) AND ($3::text IS NULL OR building = $3) ORDER BY id FOR UPDATE"
)


async def units_to_price(
    conn: asyncpg.Connection, project_id: uuid.UUID, unit_ids: list[uuid.UUID] | None, building: str | None
) -> list[asyncpg.Record]:
    """The project's units an adjustment names (all of a building's, or all), locked in id order: a hold taken
    meanwhile waits, and sees the new price."""
    return await conn.fetch(_UNITS, project_id, unit_ids, building)


async def insert_adjustment(conn: asyncpg.Connection, row: dict[str, Any]) -> datetime:
    """The adjustment (who, why, how, the skipped units); when it was made."""
    await insert_row(conn, "price_adjustments", row)
    return await conn.fetchval("SELECT made_at FROM price_adjustments WHERE id = $1", row["id"])


_SET_PRICE = "UPDATE units SET list_price = $2 WHERE id = $1 RETURNING project_id, status"
_RECORD = (
    "INSERT INTO unit_history (unit_id, project_id, from_status, to_status, reason, actor, ref, list_price)"
    " VALUES ($1, $2, $3, $3, 'price_adjusted', $4, $5, $6)"
)


async def set_price(
    conn: asyncpg.Connection, adjustment_id: uuid.UUID, unit_id: uuid.UUID, prices: tuple[Decimal, Decimal], actor: str
) -> None:
    """The unit's new list price, the change kept with the adjustment, and a row in the unit's history (R35)."""
    old, new = prices
    unit = await conn.fetchrow(_SET_PRICE, unit_id, new)
    await conn.execute(
        "INSERT INTO price_changes (adjustment_id, unit_id, old_price, new_price) VALUES ($1, $2, $3, $4)",
        adjustment_id,
        unit_id,
        old,
        new,
    )
    await conn.execute(_RECORD, unit_id, unit["project_id"], unit["status"], actor, str(adjustment_id), new)


_PAGE = (
    "SELECT * FROM price_adjustments WHERE project_id = $1"
    " AND ($2::timestamptz IS NULL OR (made_at, id) > ($2, $3::uuid)) ORDER BY made_at, id LIMIT $4"
)
_CHANGES = (
    "SELECT c.*, u.building, u.number FROM price_changes c JOIN units u ON u.id = c.unit_id"
    " WHERE c.adjustment_id = ANY($1) ORDER BY u.building, u.floor, u.number"
)


async def adjustments_page(
    conn: asyncpg.Connection, project_id: uuid.UUID, window: tuple[Any, int]
) -> list[asyncpg.Record]:
    return await conn.fetch(_PAGE, project_id, *window_args(window))


async def changes_of(conn: asyncpg.Connection, adjustment_ids: list[uuid.UUID]) -> list[asyncpg.Record]:
    """Each unit's old and new price in these adjustments, in board order."""
    return await conn.fetch(_CHANGES, adjustment_ids)


_REPRICED = (
    "SELECT EXISTS (SELECT 1 FROM price_changes c JOIN price_adjustments a ON a.id = c.adjustment_id"
    " WHERE c.unit_id = $1 AND a.made_at >= $2)"
)


async def repriced_since(conn: asyncpg.Connection, unit_id: uuid.UUID, since: datetime) -> bool:
    """Whether the unit's list price was adjusted at or after `since` (a quote made before no longer holds)."""
    return await conn.fetchval(_REPRICED, unit_id, since)
