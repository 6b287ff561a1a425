"""Leads SQL for staff names, which come only in tokens (for "who served you before?", R4, and the digest, R13)."""

from __future__ import annotations

import asyncpg

_REMEMBER_STAFF = (
    "INSERT INTO staff (staff_id, name) VALUES ($1, $2) ON CONFLICT (staff_id) DO UPDATE SET name = $2, seen_at = now()"
)


async def remember_staff(conn: asyncpg.Connection, staff_id: str, name: str | None) -> None:
    if name:
        await conn.execute(_REMEMBER_STAFF, staff_id, name)


async def staff_name(conn: asyncpg.Connection, staff_id: str) -> str | None:
    return await conn.fetchval("SELECT name FROM staff WHERE staff_id = $1", staff_id)


async def staff_names(conn: asyncpg.Connection, staff_ids: list[str]) -> dict[str, str | None]:
    rows = await conn.fetch("SELECT staff_id, name FROM staff WHERE staff_id = ANY($1::text[])", staff_ids)
    return {row["staff_id"]: row["name"] for row in rows}
