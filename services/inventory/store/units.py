"""Inventory SQL for projects, units and holds: the one statement that takes a unit (R19), and every status
move with its history (R35)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import NamedTuple, TypeAlias

import asyncpg

from services.inventory.domain import ProjectSettings, UnitRow, parse_settings
from shared.db.rows import earliest

Conn: TypeAlias = asyncpg.Connection
Rows: TypeAlias = list[asyncpg.Record]
UnitCursor: TypeAlias = tuple[str, int, str, uuid.UUID]  # (building, floor, number, id): board order
Window: TypeAlias = tuple[UnitCursor | None, int]  # (keyset cursor, page size)
UNIT_COLUMNS = (
    "id, project_id, building, number, floor, layout, area_m2, list_price, floor_price, status, hold_id, sale_id"
)

_INSERT_PROJECT = (
    "INSERT INTO projects (id, code, name, city, settings) VALUES ($1, $2, $3, $4, $5::jsonb)"
    " ON CONFLICT (code) DO NOTHING"
)


async def insert_project(
    conn: asyncpg.Connection, project_id: uuid.UUID, code: str, name: str, city: str | None, settings: ProjectSettings
) -> bool:
    """False when the code is taken."""
    status = await conn.execute(_INSERT_PROJECT, project_id, code, name, city, settings.as_json())
    return status.endswith("1")


async def project(conn: asyncpg.Connection, project_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, code, name, city, settings FROM projects WHERE id = $1", project_id)


def project_settings(row: asyncpg.Record) -> ProjectSettings:
    return parse_settings(row["settings"])


_INSERT_UNITS = (
    "SELECT building, number FROM units WHERE project_id = $1 AND (building, number) IN "
    "(SELECT * FROM unnest($2::text[], $3::text[]))"
)


async def insert_units(conn: asyncpg.Connection, project_id: uuid.UUID, rows: list[UnitRow]) -> list[tuple[str, str]]:
    """Insert all; returns (building, number) pairs that already existed (then the caller rolls back)."""
    existing = await conn.fetch(_INSERT_UNITS, project_id, [r.building for r in rows], [r.number for r in rows])
    if existing:
        return [(r["building"], r["number"]) for r in existing]
    await conn.copy_records_to_table(
        "units",
        columns=["id", "project_id", "building", "number", "floor", "layout", "area_m2", "list_price", "floor_price"],
        records=[
            (uuid.uuid4(), project_id, r.building, r.number, r.floor, r.layout, r.area_m2, r.list_price, r.floor_price)
            for r in rows
        ],
    )
    return []


async def list_units(
    conn: asyncpg.Connection, project_id: uuid.UUID, status: str | None, building: str | None
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {UNIT_COLUMNS} FROM units WHERE project_id = $1 AND ($2::text IS NULL OR status = $2)"
        " AND ($3::text IS NULL OR building = $3) ORDER BY building, floor, number",
        project_id,
        status,
        building,
    )


async def unit(conn: asyncpg.Connection, unit_id: uuid.UUID, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"SELECT {UNIT_COLUMNS} FROM units WHERE id = $1" + (" FOR UPDATE" if lock else ""), unit_id
    )


async def hold(conn: asyncpg.Connection, hold_id: uuid.UUID, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM holds WHERE id = $1" + (" FOR UPDATE" if lock else ""), hold_id)


_END_HOLD = (
    "UPDATE holds SET state = $2, ended_at = now(), ended_by = $3 WHERE id = $1 AND state = 'live'"
    " RETURNING id, unit_id, project_id"
)


async def end_hold(
    conn: asyncpg.Connection, hold_id: uuid.UUID, state: str, actor: str | None
) -> asyncpg.Record | None:
    """Ends a live hold and frees its unit; None if the hold was not live."""
    ended = await conn.fetchrow(_END_HOLD, hold_id, state, actor)
    if ended is not None:
        await set_unit_status(
            conn, ended["unit_id"], "held", "available", reason=state, actor=actor, ref=str(hold_id), clear_hold=True
        )
    return ended


_EXPIRE_DUE_HOLDS = (
    "SELECT id FROM holds WHERE state = 'live' AND expires_at <= COALESCE($2::timestamptz, now())"
    " ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED"
)


async def next_hold_expiry(conn: asyncpg.Connection) -> datetime | None:
    """When the next live hold lapses (the sweeper sleeps until then)."""
    return await earliest(conn, "holds", "expires_at", "state = 'live'")


async def expire_due_holds(conn: asyncpg.Connection, batch: int, now: datetime | None = None) -> Rows:
    """Lock and expire up to `batch` holds lapsed by `now` (None: the database's clock; SKIP LOCKED: sweepers
    on several replicas don't collide)."""
    due = await conn.fetch(_EXPIRE_DUE_HOLDS, batch, now)
    ended = []
    for row in due:
        record = await end_hold(conn, row["id"], "expired", "sweeper")
        if record is not None:
            ended.append(record)
    return ended


_MOVE_UNIT = (
    "UPDATE units SET status = $3, hold_id = CASE WHEN $4 THEN NULL ELSE hold_id END,"
    " sale_id = CASE WHEN $6 THEN NULL WHEN $5::uuid IS NOT NULL THEN $5 ELSE sale_id END"
    " WHERE id = $1 AND status = $2 RETURNING project_id"
)


_RECORD_MOVE = (
    "INSERT INTO unit_history (unit_id, project_id, from_status, to_status, reason, actor, ref)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)"
)


async def set_unit_status(
    conn: asyncpg.Connection,
    unit_id: uuid.UUID,
    from_status: str,
    to_status: str,
    *,
    reason: str,
    actor: str | None,
    ref: str | None,
    clear_hold: bool = False,
    sale_id: uuid.UUID | None = None,
    clear_sale: bool = False,
) -> bool:
    """Move a unit only from `from_status` (compare-and-set) and record the move (R35)."""
    moved = await conn.fetchrow(_MOVE_UNIT, unit_id, from_status, to_status, clear_hold, sale_id, clear_sale)
    if moved is None:
        return False
    await conn.execute(_RECORD_MOVE, unit_id, moved["project_id"], from_status, to_status, reason, actor, ref)
    return True


_REMEMBER_CUSTOMER = (
    "INSERT INTO customers (project_id, customer_id, key_visitor) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
)


async def remember_customer(
    conn: asyncpg.Connection, project_id: uuid.UUID, customer_id: uuid.UUID, key_visitor: bool = False
) -> None:
    """A customer registered in leads; a key visitor (staff, a peer: R5) is registered but is no lead."""
    await conn.execute(_REMEMBER_CUSTOMER, project_id, customer_id, key_visitor)


class UnitFilter(NamedTuple):
    """Which units a list shows: one status and/or one building, or all."""

    status: str | None = None
    building: str | None = None


_UNITS_PAGE = (
    f"SELECT {UNIT_COLUMNS} FROM units WHERE project_id = $1 AND ($2::text IS NULL OR status = $2)"
    " AND ($3::text IS NULL OR building = $3)"
    " AND ($4::text IS NULL OR (building, floor, number, id) > ($4, $5::int, $6, $7::uuid))"
    " ORDER BY building, floor, number, id LIMIT $8"
)


async def list_units_page(conn: Conn, project_id: uuid.UUID, wanted: UnitFilter, window: Window) -> Rows:
    """Units in board order, filtered before the page is cut (keyset paging after the cursor)."""
    after, limit = window
    return await conn.fetch(_UNITS_PAGE, project_id, *wanted, *(after or (None, None, None, None)), limit)


async def convert_hold(conn: asyncpg.Connection, hold_id: uuid.UUID) -> None:
    """The hold became a sale (deposit verified)."""
    await conn.execute("UPDATE holds SET state = 'converted', ended_at = now() WHERE id = $1", hold_id)
