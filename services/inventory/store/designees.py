"""Inventory SQL for designees (R23, R27): every naming kept, the powers a person holds now, the current list."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

_NAME = (
    "INSERT INTO designations (project_id, staff_id, powers, reason, named_by) VALUES ($1, $2, $3, $4, $5)"
    " RETURNING named_at"
)
_POWERS = "SELECT powers FROM designations WHERE project_id = $1 AND staff_id = $2 ORDER BY id DESC LIMIT 1"
_CURRENT = (
    "SELECT * FROM (SELECT DISTINCT ON (staff_id) * FROM designations WHERE project_id = $1"
    " ORDER BY staff_id, id DESC) latest WHERE cardinality(powers) > 0 ORDER BY staff_id"
)


async def name_designee(conn: asyncpg.Connection, project_id: uuid.UUID, naming: dict[str, Any]) -> datetime:
    """One naming (or withdrawal: no powers) kept; when it was made."""
    return await conn.fetchval(
        _NAME, project_id, naming["staff_id"], list(naming["powers"]), naming["reason"], naming["named_by"]
    )


async def powers_of(conn: asyncpg.Connection, project_id: uuid.UUID, staff_id: str) -> list[str]:
    """What the person may do as a designee of the project now (nothing when never named or withdrawn)."""
    return list(await conn.fetchval(_POWERS, project_id, staff_id) or [])


async def designees(conn: asyncpg.Connection, project_id: uuid.UUID) -> list[asyncpg.Record]:
    """The project's designees now, by staff id, each with their latest naming."""
    return await conn.fetch(_CURRENT, project_id)
