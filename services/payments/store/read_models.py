"""Payments SQL for what it learns from others: projects (R24, R25), holds (R22) and subscribed sales."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, TypeAlias

import asyncpg

from shared.kernel.defaults import DEFAULTS, ProjectSettings

Row: TypeAlias = asyncpg.Record


async def project_rules(conn: asyncpg.Connection, project_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow(
        "SELECT code, cash_limit, cash_banking_days, timezone FROM projects WHERE project_id = $1", project_id
    )


_INSERT_PROJECT = (
    "INSERT INTO projects (project_id, code, cash_limit, cash_banking_days, timezone, name) VALUES ($1,$2,$3,$4,$5,$6)"
)
# project-created: the rules only for a project payments has not heard of (a project-changed may have come first)
_CREATED = _INSERT_PROJECT + " ON CONFLICT (project_id) DO UPDATE SET code = $2, name = $6"
_CHANGED = (
    _INSERT_PROJECT + " ON CONFLICT (project_id) DO UPDATE SET code = COALESCE(NULLIF($2, ''), projects.code),"
    " cash_limit = $3, cash_banking_days = $4, timezone = $5, name = COALESCE($6, projects.name)"
)


async def save_project(
    conn: asyncpg.Connection,
    project_id: uuid.UUID,
    names: tuple[str, str | None],
    rules: ProjectSettings,
    changed: bool = False,
) -> None:
    """The project's code (receipt prefix) and name (on the receipt), and the rules payments applies: R24, R25, the
    time zone; from a project-changed (`changed`), its rules from now on."""
    code, name = names
    values = (project_id, code, rules.cash_limit, rules.cash_banking_days, rules.timezone, name)
    await conn.execute(_CHANGED if changed else _CREATED, *values)


async def hold_locked(conn: asyncpg.Connection, hold_id: uuid.UUID) -> Row | None:
    """The hold, locked against a concurrent release while a deposit is taken on it."""
    return await conn.fetchrow("SELECT * FROM holds WHERE hold_id = $1 FOR SHARE", hold_id)


async def hold(conn: asyncpg.Connection, hold_id: uuid.UUID) -> Row | None:
    return await conn.fetchrow("SELECT * FROM holds WHERE hold_id = $1", hold_id)


async def save_hold(
    conn: asyncpg.Connection,
    hold_id: uuid.UUID,
    unit_id: uuid.UUID,
    project_id: uuid.UUID,
    customer_id: uuid.UUID,
    facts: dict[str, Any],
) -> None:
    """A hold is live unless its release was seen first (topics are not ordered together)."""
    await conn.execute(
        "INSERT INTO holds (hold_id, unit_id, project_id, customer_id, consultant_id, unit_number, expires_at, live)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7, NOT EXISTS (SELECT 1 FROM released_holds WHERE hold_id = $1))"
        " ON CONFLICT (hold_id) DO NOTHING",
        hold_id,
        unit_id,
        project_id,
        customer_id,
        facts["consultant_id"],
        facts["unit_number"],
        facts["expires_at"],
    )


async def release_hold(conn: asyncpg.Connection, hold_id: uuid.UUID) -> None:
    await conn.execute("INSERT INTO released_holds (hold_id) VALUES ($1) ON CONFLICT DO NOTHING", hold_id)
    await conn.execute("UPDATE holds SET live = false WHERE hold_id = $1", hold_id)


async def sale(conn: asyncpg.Connection, sale_id: uuid.UUID, lock: bool = False) -> Row | None:
    """The sale; locked until the transaction ends when `lock` (money taken on it is counted one at a time)."""
    return await conn.fetchrow("SELECT * FROM sales WHERE sale_id = $1" + (" FOR UPDATE" if lock else ""), sale_id)


async def timezone_of(conn: asyncpg.Connection, project_id: uuid.UUID) -> str:
    """The project's time zone (the default until project-created has been seen)."""
    zone = await conn.fetchval("SELECT timezone FROM projects WHERE project_id = $1", project_id)
    return zone or DEFAULTS.timezone


_SALE_SUBSCRIBED = (
    "SELECT 1 FROM sales s WHERE s.hold_id = $1 AND NOT EXISTS"
    " (SELECT 1 FROM cancelled_sales c WHERE c.sale_id = s.sale_id)"
)


async def sale_subscribed(conn: asyncpg.Connection, hold_id: uuid.UUID) -> bool:
    """A subscription was signed for this hold's sale and the sale was not cancelled."""
    return bool(await conn.fetchval(_SALE_SUBSCRIBED, hold_id))


_SAVE_SALE = (
    "INSERT INTO sales (sale_id, unit_id, project_id, customer_id, hold_id, price) VALUES ($1,$2,$3,$4,$5,$6)"
    " ON CONFLICT (sale_id) DO NOTHING"
)


async def save_sale(
    conn: asyncpg.Connection,
    sale_id: uuid.UUID,
    unit_id: uuid.UUID,
    project_id: uuid.UUID,
    customer_id: uuid.UUID,
    hold_id: uuid.UUID | None,
    price: Decimal,
) -> None:
    await conn.execute(_SAVE_SALE, sale_id, unit_id, project_id, customer_id, hold_id, price)
