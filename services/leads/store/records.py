"""Leads SQL for what surrounds a customer: projects and staff names, the timeline, read models of holds and sales,
and the call log (R1-R3)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from shared.db.rows import insert_row
from shared.kernel.defaults import DEFAULTS, ProjectSettings


async def project(conn: asyncpg.Connection, project_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM projects WHERE project_id = $1", project_id)


async def protection_days(conn: asyncpg.Connection, project_id: uuid.UUID) -> int:
    """The project's protection period (R10); the default until inventory's project event arrives."""
    days = await conn.fetchval("SELECT protection_days FROM projects WHERE project_id = $1", project_id)
    return days or DEFAULTS.protection_days


async def project_timezone(conn: asyncpg.Connection, project_id: uuid.UUID) -> str:
    return await conn.fetchval("SELECT timezone FROM projects WHERE project_id = $1", project_id) or DEFAULTS.timezone


_UPSERT_PROJECT = (
    "INSERT INTO projects (project_id, code, name, protection_days, timezone, settings) VALUES ($1,$2,$3,$4,$5,$6)"
    " ON CONFLICT (project_id) DO UPDATE SET code = $2, name = $3, protection_days = $4, timezone = $5, settings = $6"
)


async def save_project(conn: asyncpg.Connection, project: tuple[uuid.UUID, str, str], rules: ProjectSettings) -> None:
    """The project as leads needs it: id, code and name (the hand-off), and its rules (R10, R12, R15)."""
    await conn.execute(_UPSERT_PROJECT, *project, rules.protection_days, rules.timezone, rules.as_json())


async def project_rules(conn: asyncpg.Connection, project_id: uuid.UUID) -> ProjectSettings:
    """The project's rules as its project-created said; the defaults until it arrives."""
    settings = await conn.fetchval("SELECT settings FROM projects WHERE project_id = $1", project_id)
    return ProjectSettings.from_event(settings)


_REMEMBER_STAFF = (
    "INSERT INTO staff (staff_id, name) VALUES ($1, $2) ON CONFLICT (staff_id) DO UPDATE SET name = $2, seen_at = now()"
)


async def remember_staff(conn: asyncpg.Connection, staff_id: str, name: str | None) -> None:
    if name:
        await conn.execute(_REMEMBER_STAFF, staff_id, name)


async def staff_name(conn: asyncpg.Connection, staff_id: str) -> str | None:
    return await conn.fetchval("SELECT name FROM staff WHERE staff_id = $1", staff_id)


_ADD_TIMELINE = (
    "INSERT INTO timeline (customer_id, at, kind, detail, event_id) VALUES ($1,$2,$3,$4::jsonb,$5)"
    " ON CONFLICT (event_id) DO NOTHING"
)


async def add_timeline(
    conn: asyncpg.Connection,
    customer_id: uuid.UUID,
    at: datetime,
    kind: str,
    detail: dict[str, Any],
    event_id: uuid.UUID | None = None,
) -> None:
    await conn.execute(_ADD_TIMELINE, customer_id, at, kind, detail, event_id)


async def timeline(conn: asyncpg.Connection, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT at, kind, detail FROM timeline WHERE customer_id = $1 ORDER BY at, id", customer_id)
    return [{"at": r["at"].isoformat(), "kind": r["kind"], "detail": r["detail"]} for r in rows]


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


async def insert_call(conn: asyncpg.Connection, row: dict[str, Any]) -> None:
    await insert_row(conn, "calls", row)


_CALL_STATS = (
    "SELECT consultant_id, count(*) AS calls, count(answered_at) AS answered,"
    " count(*) FILTER (WHERE answered_at IS NOT NULL AND rings <= $4) AS within_target,"
    " avg(extract(epoch FROM answered_at - rang_at)) AS avg_answer_seconds,"
    " max(extract(epoch FROM answered_at - rang_at)) AS max_answer_seconds"
    " FROM calls WHERE project_id = $1 AND (rang_at AT TIME ZONE $2)::date = $3"
    " GROUP BY consultant_id ORDER BY consultant_id"
)


async def call_stats(
    conn: asyncpg.Connection, project_id: uuid.UUID, day: date, tz: str, ring_target: int
) -> list[asyncpg.Record]:
    """Per consultant for one local day: calls, answered, within the ring target, ring-to-answer seconds."""
    return await conn.fetch(_CALL_STATS, project_id, tz, day, ring_target)


async def plain_call_notes(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, asked FROM calls WHERE asked IS NOT NULL LIMIT $1 FOR UPDATE SKIP LOCKED", limit
    )


async def seal_call_note(conn: asyncpg.Connection, call_id: uuid.UUID, sealed: bytes) -> None:
    await conn.execute("UPDATE calls SET asked_enc = $2, asked = NULL WHERE id = $1", call_id, sealed)


async def customer_of_handoff(conn: asyncpg.Connection, handoff_id: str) -> uuid.UUID | None:
    """The customer whose handover produced this hand-off (its id is on their timeline)."""
    return await conn.fetchval(
        "SELECT customer_id FROM timeline WHERE kind = 'handed_over' AND detail->>'handoff_id' = $1 LIMIT 1", handoff_id
    )
