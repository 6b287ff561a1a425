"""Payments SQL for papers and people (R23, R29): the designees inventory told of, the contract it signed, the
contract copy signed for."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TypeAlias

import asyncpg

Row: TypeAlias = asyncpg.Record

_SAVE_DESIGNEE = (
    "INSERT INTO designees (project_id, staff_id, powers, named_at) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (project_id, staff_id) DO UPDATE SET powers = $3, named_at = $4 WHERE designees.named_at <= $4"
)


async def save_designee(
    conn: asyncpg.Connection, project_id: uuid.UUID, staff_id: str, powers: list[str], named_at: datetime
) -> None:
    """The person's powers as the latest naming says (a late, older naming changes nothing)."""
    await conn.execute(_SAVE_DESIGNEE, project_id, staff_id, powers, named_at)


async def powers_of(conn: asyncpg.Connection, project_id: uuid.UUID, staff_id: str) -> list[str]:
    powers = await conn.fetchval(
        "SELECT powers FROM designees WHERE project_id = $1 AND staff_id = $2", project_id, staff_id
    )
    return list(powers or [])


async def save_contract(conn: asyncpg.Connection, sale_id: uuid.UUID, contract_no: str, signed_at: datetime) -> None:
    await conn.execute(
        "INSERT INTO contracts (sale_id, contract_no, signed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        sale_id,
        contract_no,
        signed_at,
    )


async def contract(conn: asyncpg.Connection, sale_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow("SELECT * FROM contracts WHERE sale_id = $1", sale_id)


async def collection(conn: asyncpg.Connection, sale_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow("SELECT * FROM contract_collections WHERE sale_id = $1", sale_id)


_COLLECT = (
    "INSERT INTO contract_collections (sale_id, collected_by, signed, recorded_by) VALUES ($1, $2, true, $3)"
    " ON CONFLICT DO NOTHING RETURNING collected_at"
)


async def record_collection(
    conn: asyncpg.Connection, sale_id: uuid.UUID, collected_by: str, recorded_by: str
) -> datetime | None:
    """The copy signed for; None when it was signed for already (a concurrent call won)."""
    return await conn.fetchval(_COLLECT, sale_id, collected_by, recorded_by)
