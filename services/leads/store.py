"""SQL of the leads service; every function uses the caller's connection (and its transaction)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg
import orjson


async def project(conn: asyncpg.Connection, project_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM projects WHERE project_id = $1", project_id)


async def protection_days(conn: asyncpg.Connection, project_id: uuid.UUID) -> int:
    """The project's protection period (R10); 20 days until inventory's project event arrives."""
    return await conn.fetchval("SELECT protection_days FROM projects WHERE project_id = $1", project_id) or 20


async def upsert_project(conn: asyncpg.Connection, project_id: uuid.UUID, code: str, name: str,
                         protection: int, timezone: str) -> None:
    await conn.execute(
        "INSERT INTO projects (project_id, code, name, protection_days, timezone) VALUES ($1,$2,$3,$4,$5)"
        " ON CONFLICT (project_id) DO UPDATE SET code = $2, name = $3, protection_days = $4, timezone = $5",
        project_id, code, name, protection, timezone)


async def remember_staff(conn: asyncpg.Connection, staff_id: str, name: str | None) -> None:
    if name:
        await conn.execute("INSERT INTO staff (staff_id, name) VALUES ($1, $2) ON CONFLICT (staff_id)"
                           " DO UPDATE SET name = $2, seen_at = now()", staff_id, name)


async def staff_name(conn: asyncpg.Connection, staff_id: str) -> str | None:
    return await conn.fetchval("SELECT name FROM staff WHERE staff_id = $1", staff_id)


async def customer(conn: asyncpg.Connection, customer_id: uuid.UUID, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM customers WHERE id = $1" + (" FOR UPDATE" if lock else ""), customer_id)


async def customer_by_phone(conn: asyncpg.Connection, project_id: uuid.UUID, phone_hash: bytes,
                            lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM customers WHERE project_id = $1 AND phone_hash = $2"
                               + (" FOR UPDATE" if lock else ""), project_id, phone_hash)


async def insert_customer(conn: asyncpg.Connection, row: dict[str, Any]) -> bool:
    """False when the phone is already registered in the project (the unique index decides races)."""
    status = await conn.execute(
        "INSERT INTO customers (id, project_id, owner_id, name_enc, phone_enc, phone_hash, phone_masked, source,"
        " visitor_type, profile, tags, grade, consent_share, referred_by, registered_at, last_touch_at,"
        " protected_until, next_contact_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10::jsonb,$11,$12,$13,$14,$15,$15,$16,$17)"
        " ON CONFLICT (project_id, phone_hash) WHERE phone_hash IS NOT NULL DO NOTHING",
        row["id"], row["project_id"], row["owner_id"], row["name_enc"], row["phone_enc"], row["phone_hash"],
        row["phone_masked"], row["source"], row["visitor_type"], orjson.dumps(row["profile"]).decode(), row["tags"],
        row["grade"], row["consent_share"], row["referred_by"], row["now"], row["protected_until"],
        row["next_contact_at"])
    return status.endswith("1")


async def touch(conn: asyncpg.Connection, customer_id: uuid.UUID, now: datetime, until: datetime,
                next_contact: datetime | None = None, owner: str | None = None) -> None:
    """A follow-up, a re-registration or an assignment starts a new protection period (R10)."""
    await conn.execute(
        "UPDATE customers SET last_touch_at = $2, protected_until = $3,"
        " next_contact_at = COALESCE($4, next_contact_at), owner_id = COALESCE($5, owner_id) WHERE id = $1",
        customer_id, now, until, next_contact, owner)


async def record_owner_change(conn: asyncpg.Connection, customer_id: uuid.UUID, from_owner: str | None,
                              to_owner: str, kind: str, reason: str | None, decided_by: str | None) -> None:
    await conn.execute(
        "INSERT INTO ownership_changes (customer_id, from_owner, to_owner, kind, reason, decided_by)"
        " VALUES ($1,$2,$3,$4,$5,$6)", customer_id, from_owner, to_owner, kind, reason, decided_by)


async def add_timeline(conn: asyncpg.Connection, customer_id: uuid.UUID, at: datetime, kind: str,
                       detail: dict[str, Any], event_id: uuid.UUID | None = None) -> None:
    await conn.execute(
        "INSERT INTO timeline (customer_id, at, kind, detail, event_id) VALUES ($1,$2,$3,$4::jsonb,$5)"
        " ON CONFLICT (event_id) DO NOTHING", customer_id, at, kind, orjson.dumps(detail, default=str).decode(),
        event_id)
