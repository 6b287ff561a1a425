"""SQL of the leads service; every function uses the caller's connection (and its transaction)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg
import orjson

DEFAULT_PROTECTION_DAYS = 20  # R10, until inventory's project-created event arrives
DEFAULT_TIMEZONE = "Asia/Shanghai"


def _json(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


# -- projects (read model of inventory's project-created) and staff names ---------------------------

async def project(conn: asyncpg.Connection, project_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM projects WHERE project_id = $1", project_id)


async def protection_days(conn: asyncpg.Connection, project_id: uuid.UUID) -> int:
    """The project's protection period (R10); the default until inventory's project event arrives."""
    days = await conn.fetchval("SELECT protection_days FROM projects WHERE project_id = $1", project_id)
    return days or DEFAULT_PROTECTION_DAYS


async def project_timezone(conn: asyncpg.Connection, project_id: uuid.UUID) -> str:
    return await conn.fetchval("SELECT timezone FROM projects WHERE project_id = $1", project_id) or DEFAULT_TIMEZONE


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


# -- customers --------------------------------------------------------------------------------------

async def customer(conn: asyncpg.Connection, customer_id: uuid.UUID, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM customers WHERE id = $1" + (" FOR UPDATE" if lock else ""), customer_id)


async def customer_exists(conn: asyncpg.Connection, customer_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM customers WHERE id = $1", customer_id))


async def customer_by_phone(conn: asyncpg.Connection, project_id: uuid.UUID, phone_hash: bytes,
                            lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM customers WHERE project_id = $1 AND phone_hash = $2"
                               + (" FOR UPDATE" if lock else ""), project_id, phone_hash)


async def customers_of_project(conn: asyncpg.Connection, project_id: uuid.UUID, owner: str | None,
                               after: tuple[datetime, uuid.UUID] | None, limit: int | None) -> list[asyncpg.Record]:
    """R8: one owner's customers, or all of the project's when `owner` is None; newest first, after a cursor."""
    at, ident = after or (None, None)
    return await conn.fetch(
        "SELECT * FROM customers WHERE project_id = $1 AND ($2::text IS NULL OR owner_id = $2)"
        " AND ($3::timestamptz IS NULL OR (registered_at, id) < ($3, $4::uuid))"
        " ORDER BY registered_at DESC, id DESC LIMIT $5", project_id, owner, at, ident, limit)


async def insert_customer(conn: asyncpg.Connection, row: dict[str, Any]) -> bool:
    """False when the phone is already registered in the project (the unique index decides races)."""
    status = await conn.execute(
        "INSERT INTO customers (id, project_id, owner_id, name_enc, phone_enc, phone_hash, phone_masked, source,"
        " visitor_type, profile_enc, tags_enc, grade, consent_share, referred_by, registered_at, last_touch_at,"
        " protected_until, next_contact_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$15,$16,$17)"
        " ON CONFLICT (project_id, phone_hash) WHERE phone_hash IS NOT NULL DO NOTHING",
        row["id"], row["project_id"], row["owner_id"], row["name_enc"], row["phone_enc"], row["phone_hash"],
        row["phone_masked"], row["source"], row["visitor_type"], row["profile_enc"], row["tags_enc"],
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


async def set_grade(conn: asyncpg.Connection, customer_id: uuid.UUID, grade: str) -> None:
    await conn.execute("UPDATE customers SET grade = $2 WHERE id = $1", customer_id, grade)


async def insert_followup(conn: asyncpg.Connection, followup_id: uuid.UUID, customer_id: uuid.UUID,
                          consultant: str, channel: str, content_enc: bytes, feedback_enc: bytes | None,
                          next_contact_at: datetime, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO followups (id, customer_id, consultant_id, channel, content_enc, feedback_enc,"
        " next_contact_at, at)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8)", followup_id, customer_id, consultant, channel, content_enc,
        feedback_enc, next_contact_at, at)


async def followups_of(conn: asyncpg.Connection, customer_id: uuid.UUID, limit: int = 100) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM followups WHERE customer_id = $1 ORDER BY at DESC LIMIT $2",
                            customer_id, limit)


async def owner_changes_of(conn: asyncpg.Connection, customer_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM ownership_changes WHERE customer_id = $1 ORDER BY at, id", customer_id)


async def record_owner_change(conn: asyncpg.Connection, customer_id: uuid.UUID, from_owner: str | None,
                              to_owner: str, kind: str, reason: str | None, decided_by: str | None,
                              at: datetime) -> None:
    await conn.execute(
        "INSERT INTO ownership_changes (customer_id, from_owner, to_owner, kind, reason, decided_by, at)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7)", customer_id, from_owner, to_owner, kind, reason, decided_by, at)


async def touches(conn: asyncpg.Connection, customer_id: uuid.UUID) -> list[tuple[datetime, str]]:
    """Every touch that started a protection period (R10), with who owned the customer from then on."""
    rows = await conn.fetch(
        "SELECT registered_at AS at, COALESCE((SELECT from_owner FROM ownership_changes o WHERE o.customer_id = c.id"
        " ORDER BY o.at, o.id LIMIT 1), c.owner_id) AS owner FROM customers c WHERE c.id = $1"
        " UNION ALL SELECT at, consultant_id FROM followups WHERE customer_id = $1"
        " UNION ALL SELECT at, to_owner FROM ownership_changes WHERE customer_id = $1", customer_id)
    return [(r["at"], r["owner"]) for r in rows]


async def plain_profiles(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Customers from before migration 002 whose profile is still in the plain column."""
    return await conn.fetch("SELECT id, profile FROM customers WHERE profile_enc IS NULL LIMIT $1"
                            " FOR UPDATE SKIP LOCKED", limit)


async def seal_profile(conn: asyncpg.Connection, customer_id: uuid.UUID, profile_enc: bytes) -> None:
    await conn.execute("UPDATE customers SET profile_enc = $2, profile = '{}' WHERE id = $1", customer_id, profile_enc)


async def plain_feedback(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT id, feedback FROM followups WHERE feedback IS NOT NULL LIMIT $1"
                            " FOR UPDATE SKIP LOCKED", limit)


async def seal_feedback(conn: asyncpg.Connection, followup_id: uuid.UUID, feedback_enc: bytes) -> None:
    await conn.execute("UPDATE followups SET feedback_enc = $2, feedback = NULL WHERE id = $1", followup_id,
                       feedback_enc)


# -- timeline ---------------------------------------------------------------------------------------

async def add_timeline(conn: asyncpg.Connection, customer_id: uuid.UUID, at: datetime, kind: str,
                       detail: dict[str, Any], event_id: uuid.UUID | None = None) -> None:
    await conn.execute(
        "INSERT INTO timeline (customer_id, at, kind, detail, event_id) VALUES ($1,$2,$3,$4::jsonb,$5)"
        " ON CONFLICT (event_id) DO NOTHING", customer_id, at, kind, _json(detail), event_id)


async def timeline(conn: asyncpg.Connection, customer_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT at, kind, detail FROM timeline WHERE customer_id = $1 ORDER BY at, id",
                            customer_id)
    return [{"at": r["at"].isoformat(), "kind": r["kind"],
             "detail": orjson.loads(r["detail"]) if isinstance(r["detail"], str) else r["detail"]} for r in rows]


# -- read models of holds and sales (to place other services' events on a customer) -----------------

async def remember_hold(conn: asyncpg.Connection, hold_id: uuid.UUID, unit_id: uuid.UUID, customer_id: uuid.UUID,
                        consultant_id: str, building: str, number: str, at: datetime) -> None:
    await conn.execute(
        "INSERT INTO holds (hold_id, unit_id, customer_id, consultant_id, unit_label, building, number, locked_at)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (hold_id) DO NOTHING", hold_id, unit_id, customer_id,
        consultant_id, f"{building}-{number}", building, number, at)


async def hold(conn: asyncpg.Connection, hold_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM holds WHERE hold_id = $1", hold_id)


async def latest_hold_of_unit(conn: asyncpg.Connection, unit_id: uuid.UUID,
                              customer_id: uuid.UUID | None = None) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM holds WHERE unit_id = $1 AND ($2::uuid IS NULL OR customer_id = $2)"
        " ORDER BY locked_at DESC NULLS LAST LIMIT 1", unit_id, customer_id)


async def remember_sale(conn: asyncpg.Connection, sale_id: uuid.UUID, unit_id: uuid.UUID,
                        customer_id: uuid.UUID) -> None:
    await conn.execute("INSERT INTO sales (sale_id, unit_id, customer_id) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING",
                       sale_id, unit_id, customer_id)


async def sale(conn: asyncpg.Connection, sale_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM sales WHERE sale_id = $1", sale_id)


async def credit_sale(conn: asyncpg.Connection, sale_id: uuid.UUID, credited_to: str, reason: str) -> None:
    await conn.execute("UPDATE sales SET credited_to = $2, credit_reason = $3 WHERE sale_id = $1",
                       sale_id, credited_to, reason)


async def set_contract_no(conn: asyncpg.Connection, sale_id: uuid.UUID, unit_id: uuid.UUID, customer_id: uuid.UUID,
                          contract_no: str) -> None:
    """Topics are not ordered among themselves: the contract may be the first we hear of the sale."""
    await conn.execute(
        "INSERT INTO sales (sale_id, unit_id, customer_id, contract_no) VALUES ($1,$2,$3,$4)"
        " ON CONFLICT (sale_id) DO UPDATE SET contract_no = $4", sale_id, unit_id, customer_id, contract_no)


# -- calls (R1–R3) ----------------------------------------------------------------------------------

async def insert_call(conn: asyncpg.Connection, row: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO calls (id, project_id, consultant_id, rang_at, answered_at, rings, caller_masked, asked_enc,"
        " customer_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)", row["id"], row["project_id"], row["consultant_id"],
        row["rang_at"], row["answered_at"], row["rings"], row["caller_masked"], row["asked_enc"], row["customer_id"])


async def call_stats(conn: asyncpg.Connection, project_id: uuid.UUID, day: date, tz: str,
                     ring_target: int) -> list[asyncpg.Record]:
    """Per consultant for one local day: calls, answered, within the ring target, ring-to-answer seconds."""
    return await conn.fetch(
        "SELECT consultant_id, count(*) AS calls, count(answered_at) AS answered,"
        " count(*) FILTER (WHERE answered_at IS NOT NULL AND rings <= $4) AS within_target,"
        " avg(extract(epoch FROM answered_at - rang_at)) AS avg_answer_seconds,"
        " max(extract(epoch FROM answered_at - rang_at)) AS max_answer_seconds"
        " FROM calls WHERE project_id = $1 AND (rang_at AT TIME ZONE $2)::date = $3"
        " GROUP BY consultant_id ORDER BY consultant_id", project_id, tz, day, ring_target)


async def plain_tags(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """Customers whose tags rest in plain (before migration 003)."""
    return await conn.fetch("SELECT id, tags FROM customers WHERE tags_enc IS NULL LIMIT $1 FOR UPDATE SKIP LOCKED",
                            limit)


async def seal_tags(conn: asyncpg.Connection, customer_id: uuid.UUID, sealed: bytes) -> None:
    await conn.execute("UPDATE customers SET tags_enc = $2, tags = '{}' WHERE id = $1", customer_id, sealed)


async def plain_call_notes(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT id, asked FROM calls WHERE asked IS NOT NULL LIMIT $1 FOR UPDATE SKIP LOCKED",
                            limit)


async def seal_call_note(conn: asyncpg.Connection, call_id: uuid.UUID, sealed: bytes) -> None:
    await conn.execute("UPDATE calls SET asked_enc = $2, asked = NULL WHERE id = $1", call_id, sealed)


async def customer_of_handoff(conn: asyncpg.Connection, handoff_id: str) -> uuid.UUID | None:
    """The customer whose handover produced this hand-off (its id is on their timeline)."""
    return await conn.fetchval("SELECT customer_id FROM timeline WHERE kind = 'handed_over'"
                               " AND detail->>'handoff_id' = $1 LIMIT 1", handoff_id)
