"""Leads SQL for the holds and sales leads hears of from inventory (read models): who held a unit for whom, the
sale, its contract number and who was credited with it (R10)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def remember_hold(
    conn: asyncpg.Connection,
    hold_id: uuid.UUID,
    unit_id: uuid.UUID,
    customer_id: uuid.UUID,
    consultant_id: str,
    building: str,
    number: str,
    at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO holds (hold_id, unit_id, customer_id, consultant_id, unit_label, building, number, locked_at)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (hold_id) DO NOTHING",
        hold_id,
        unit_id,
        customer_id,
        consultant_id,
        f"{building}-{number}",
        building,
        number,
        at,
    )


async def hold(conn: asyncpg.Connection, hold_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM holds WHERE hold_id = $1", hold_id)


_LATEST_HOLD_OF_UNIT = (
    "SELECT * FROM holds WHERE unit_id = $1 AND ($2::uuid IS NULL OR customer_id = $2)"
    " ORDER BY locked_at DESC NULLS LAST LIMIT 1"
)


async def latest_hold_of_unit(
    conn: asyncpg.Connection, unit_id: uuid.UUID, customer_id: uuid.UUID | None = None
) -> asyncpg.Record | None:
    return await conn.fetchrow(_LATEST_HOLD_OF_UNIT, unit_id, customer_id)


_REMEMBER_SALE = "INSERT INTO sales (sale_id, unit_id, customer_id) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING"


async def remember_sale(
    conn: asyncpg.Connection, sale_id: uuid.UUID, unit_id: uuid.UUID, customer_id: uuid.UUID
) -> None:
    await conn.execute(_REMEMBER_SALE, sale_id, unit_id, customer_id)


async def sale(conn: asyncpg.Connection, sale_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM sales WHERE sale_id = $1", sale_id)


async def credit_sale(conn: asyncpg.Connection, sale_id: uuid.UUID, credited_to: str, reason: str) -> None:
    await conn.execute(
        "UPDATE sales SET credited_to = $2, credit_reason = $3 WHERE sale_id = $1", sale_id, credited_to, reason
    )


_SET_CONTRACT_NO = (
    "INSERT INTO sales (sale_id, unit_id, customer_id, contract_no) VALUES ($1,$2,$3,$4)"
    " ON CONFLICT (sale_id) DO UPDATE SET contract_no = $4"
)


async def set_contract_no(
    conn: asyncpg.Connection, sale_id: uuid.UUID, unit_id: uuid.UUID, customer_id: uuid.UUID, contract_no: str
) -> None:
    """Topics are not ordered among themselves: the contract may be the first we hear of the sale."""
    await conn.execute(_SET_CONTRACT_NO, sale_id, unit_id, customer_id, contract_no)
