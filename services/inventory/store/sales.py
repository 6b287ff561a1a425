"""Inventory SQL for sales and what deposits do to them: conflicts, refunds seen, quotes."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg


async def sale(conn: asyncpg.Connection, sale_id: uuid.UUID, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM sales WHERE id = $1" + (" FOR UPDATE" if lock else ""), sale_id)


async def insert_sale(
    conn: asyncpg.Connection, sale_id: uuid.UUID, hold_row: asyncpg.Record, deposit_id: str, price: Any
) -> None:
    await conn.execute(
        "INSERT INTO sales (id, unit_id, project_id, hold_id, deposit_id, customer_id, consultant_id, status, price)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, 'reserved', $8)",
        sale_id,
        hold_row["unit_id"],
        hold_row["project_id"],
        hold_row["id"],
        deposit_id,
        hold_row["customer_id"],
        hold_row["consultant_id"],
        price,
    )


async def update_sale(conn: asyncpg.Connection, sale_id: uuid.UUID, status: str, **fields: Any) -> None:
    sets, args = ["status = $2"], [sale_id, status]
    for name, value in fields.items():
        document = name in ("subscription", "contract", "cancellation")
        args.append(value)
        sets.append(f"{name} = ${len(args)}" + ("::jsonb" if document else ""))
    await conn.execute(f"UPDATE sales SET {', '.join(sets)} WHERE id = $1", *args)


async def note_conflict(conn: asyncpg.Connection, hold_row: asyncpg.Record, deposit_id: str) -> None:
    """A deposit verified for a unit someone else has: kept until its refund settles it."""
    await conn.execute(
        "INSERT INTO sale_conflicts (unit_id, project_id, hold_id, deposit_id, customer_id) VALUES ($1,$2,$3,$4,$5)"
        " ON CONFLICT (deposit_id) DO NOTHING",  # the same deposit told again (a replay): still one conflict
        hold_row["unit_id"],
        hold_row["project_id"],
        hold_row["id"],
        deposit_id,
        hold_row["customer_id"],
    )


async def settle_conflict(conn: asyncpg.Connection, deposit_id: str) -> bool:
    status = await conn.execute(
        "UPDATE sale_conflicts SET refunded_at = now() WHERE deposit_id = $1 AND refunded_at IS NULL", deposit_id
    )
    return not status.endswith(" 0")


async def open_conflicts(conn: asyncpg.Connection, project_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM sale_conflicts WHERE project_id = $1 AND refunded_at IS NULL ORDER BY id", project_id
    )


async def refund_seen(conn: asyncpg.Connection, deposit_id: str) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM deposit_refunds WHERE deposit_id = $1", deposit_id))


_REMEMBER_REFUND = (
    "INSERT INTO deposit_refunds (deposit_id, hold_id, unit_id, outcome) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING"
)


async def remember_refund(
    conn: asyncpg.Connection, deposit_id: str, hold_id: uuid.UUID, unit_id: uuid.UUID, outcome: str
) -> None:
    await conn.execute(_REMEMBER_REFUND, deposit_id, hold_id, unit_id, outcome)


async def save_quote(
    conn: asyncpg.Connection,
    quote_id: uuid.UUID,
    unit_row: asyncpg.Record,
    price: Any,
    body: dict[str, Any],
    made_by: str,
    days: int,
) -> asyncpg.Record:
    """R21: the quote as given, kept `days` days."""
    return await conn.fetchrow(
        "INSERT INTO quotes (id, unit_id, project_id, price, body, made_by, expires_at)"
        " VALUES ($1, $2, $3, $4, $5::jsonb, $6, now() + make_interval(days => $7)) RETURNING expires_at",
        quote_id,
        unit_row["id"],
        unit_row["project_id"],
        price,
        body,
        made_by,
        days,
    )


async def live_quote(conn: asyncpg.Connection, quote_id: uuid.UUID, unit_id: uuid.UUID) -> asyncpg.Record | None:
    """The quote if it was made for this unit and has not expired: its price, when it was made, and the list price
    it started from; with the unit's list price now."""
    return await conn.fetchrow(_LIVE_QUOTE, quote_id, unit_id)


_LIVE_QUOTE = (
    "SELECT q.id, q.price, q.made_at, q.body->>'list_price' AS quoted_list_price, u.list_price"
    " FROM quotes q JOIN units u ON u.id = q.unit_id WHERE q.id = $1 AND q.unit_id = $2 AND q.expires_at > now()"
)


async def deposit_of_sale_of_hold(conn: asyncpg.Connection, hold_id: uuid.UUID) -> str | None:
    """The deposit whose verification opened the hold's sale (a hold has one sale at most); None without one."""
    return await conn.fetchval("SELECT deposit_id FROM sales WHERE hold_id = $1", hold_id)


_OPEN_SALE_OF_DEPOSIT = "SELECT * FROM sales WHERE hold_id = $1 AND deposit_id = $2 AND closed_at IS NULL FOR UPDATE"


async def open_sale_of_deposit(conn: asyncpg.Connection, hold_id: uuid.UUID, deposit_id: str) -> asyncpg.Record | None:
    """The sale this deposit opened on the hold, if it is still open, locked (not another deposit's)."""
    return await conn.fetchrow(_OPEN_SALE_OF_DEPOSIT, hold_id, deposit_id)


async def timezone_of_sale(conn: asyncpg.Connection, sale_id: uuid.UUID) -> str | None:
    """The time zone setting of the sale's project, if it names one."""
    return await conn.fetchval(
        "SELECT p.settings->>'timezone' FROM sales s JOIN projects p ON p.id = s.project_id WHERE s.id = $1", sale_id
    )
