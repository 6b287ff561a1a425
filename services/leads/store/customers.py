"""Leads SQL for customers: registration, protection touches, grades, follow-ups, ownership changes, and the
sealing of rows stored in plain before encryption (R18)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from shared.db.rows import insert_row


async def customer(conn: asyncpg.Connection, customer_id: uuid.UUID, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM customers WHERE id = $1" + (" FOR UPDATE" if lock else ""), customer_id)


async def customer_exists(conn: asyncpg.Connection, customer_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT 1 FROM customers WHERE id = $1", customer_id))


async def customer_by_phone(
    conn: asyncpg.Connection, project_id: uuid.UUID, phone_hash: bytes, lock: bool = False
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM customers WHERE project_id = $1 AND phone_hash = $2" + (" FOR UPDATE" if lock else ""),
        project_id,
        phone_hash,
    )


async def customers_of_project(
    conn: asyncpg.Connection,
    project_id: uuid.UUID,
    owner: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int | None,
    due_before: datetime | None = None,
) -> list[asyncpg.Record]:
    """R8: one owner's customers (leads: key visitors are not, R5), or all of the project's when `owner` is None;
    newest first, after a cursor; with `due_before`, only those whose follow-up fell due before it (R13). One
    statement per combination of filters, so each reads its index (`customers_registered`,
    `customers_owner_registered`) in the page's order."""
    where, args = ["project_id = $1", "visitor_type = 'customer'"], list[Any]([project_id])
    for clause, values in (
        ("owner_id = ${}", (owner,) if owner is not None else ()),
        ("(registered_at, id) < (${}, ${})", after or ()),
        ("followup_due_at < ${}", (due_before,) if due_before is not None else ()),
    ):
        if values:
            where.append(clause.format(*range(len(args) + 1, len(args) + 1 + len(values))))
            args.extend(values)
    sql = f"SELECT * FROM customers WHERE {' AND '.join(where)} ORDER BY registered_at DESC, id DESC"
    return await conn.fetch(sql + (f" LIMIT {int(limit)}" if limit is not None else ""), *args)


async def insert_customer(conn: asyncpg.Connection, row: dict[str, Any]) -> bool:
    """False when the phone is already registered in the project (the unique index decides races)."""
    status = await conn.execute(
        "INSERT INTO customers (id, project_id, owner_id, name_enc, phone_enc, phone_hash, phone_masked, source,"
        " visitor_type, profile_enc, tags_enc, grade, consent_share, referred_by, registered_at, last_touch_at,"
        " protected_until, next_contact_at, needs_counted_at)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$15,$16,$17,$18)"
        " ON CONFLICT (project_id, phone_hash) WHERE phone_hash IS NOT NULL DO NOTHING",
        row["id"],
        row["project_id"],
        row["owner_id"],
        row["name_enc"],
        row["phone_enc"],
        row["phone_hash"],
        row["phone_masked"],
        row["source"],
        row["visitor_type"],
        row["profile_enc"],
        row["tags_enc"],
        row["grade"],
        row["consent_share"],
        row["referred_by"],
        row["now"],
        row["protected_until"],
        row["next_contact_at"],
        row.get("needs_counted_at"),
    )
    return status.endswith("1")


_TOUCH = (
    "UPDATE customers SET last_touch_at = $2, protected_until = $3,"
    " next_contact_at = COALESCE($4, next_contact_at), owner_id = COALESCE($5, owner_id) WHERE id = $1"
)


async def touch(
    conn: asyncpg.Connection,
    customer_id: uuid.UUID,
    now: datetime,
    until: datetime,
    next_contact: datetime | None = None,
    owner: str | None = None,
) -> None:
    """A follow-up, a re-registration or an assignment starts a new protection period (R10)."""
    await conn.execute(_TOUCH, customer_id, now, until, next_contact, owner)


async def set_next_contact(conn: asyncpg.Connection, customer_id: uuid.UUID, at: datetime) -> None:
    """R14: the next contact agreed with the customer (at a registration or on a call)."""
    await conn.execute("UPDATE customers SET next_contact_at = $2 WHERE id = $1", customer_id, at)


async def set_grade(conn: asyncpg.Connection, customer_id: uuid.UUID, grade: str) -> None:
    await conn.execute("UPDATE customers SET grade = $2 WHERE id = $1", customer_id, grade)


async def insert_followup(
    conn: asyncpg.Connection,
    followup_id: uuid.UUID,
    customer_id: uuid.UUID,
    consultant: str,
    channel: str,
    content_enc: bytes,
    feedback_enc: bytes | None,
    next_contact_at: datetime,
    at: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO followups (id, customer_id, consultant_id, channel, content_enc, feedback_enc,"
        " next_contact_at, at)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        followup_id,
        customer_id,
        consultant,
        channel,
        content_enc,
        feedback_enc,
        next_contact_at,
        at,
    )


async def followups_of(conn: asyncpg.Connection, customer_id: uuid.UUID, limit: int = 100) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM followups WHERE customer_id = $1 ORDER BY at DESC LIMIT $2", customer_id, limit
    )


async def owner_changes_of(conn: asyncpg.Connection, customer_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM ownership_changes WHERE customer_id = $1 ORDER BY at, id", customer_id)


async def record_owner_change(conn: asyncpg.Connection, change: dict[str, Any]) -> None:
    """R9: who had the customer, who has them now, why, decided by whom, when; never edited."""
    await insert_row(conn, "ownership_changes", change)


_TOUCHES = (
    "SELECT registered_at AS at, COALESCE((SELECT from_owner FROM ownership_changes o WHERE o.customer_id = c.id"
    " ORDER BY o.at, o.id LIMIT 1), c.owner_id) AS owner FROM customers c WHERE c.id = $1"
    " UNION ALL SELECT at, consultant_id FROM followups WHERE customer_id = $1"
    " UNION ALL SELECT at, to_owner FROM ownership_changes WHERE customer_id = $1"
)


async def touches(conn: asyncpg.Connection, customer_id: uuid.UUID) -> list[tuple[datetime, str]]:
    """Every touch that started a protection period (R10), with who owned the customer from then on."""
    rows = await conn.fetch(_TOUCHES, customer_id)
    return [(r["at"], r["owner"]) for r in rows]


_UPDATABLE = ("profile_enc", "tags_enc", "grade", "visitor_type", "consent_share")


async def update_customer(conn: asyncpg.Connection, customer_id: uuid.UUID, changes: dict[str, Any]) -> None:
    """R11, R12: the named columns (sealed profile and tags, grade, visitor type, consent) change; others stay."""
    names = [name for name in _UPDATABLE if name in changes]
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=2))
    await conn.execute(f"UPDATE customers SET {sets} WHERE id = $1", customer_id, *(changes[n] for n in names))


async def close_customer(
    conn: asyncpg.Connection, customer_id: uuid.UUID, at: datetime, reason: str | None, note_enc: bytes | None
) -> None:
    """R17: the customer is lost (reason set) or back (None: a follow-up reopened them)."""
    await conn.execute(
        "UPDATE customers SET closed_at = $2, close_reason = $3, close_note_enc = $4 WHERE id = $1",
        customer_id,
        at if reason else None,
        reason,
        note_enc,
    )


async def contacts_between(conn: asyncpg.Connection, customer_id: uuid.UUID, start: datetime, end: datetime) -> int:
    """R15: how many contacts the customer had in [start, end) (a local day): follow-ups and news sent (R33)."""
    return await conn.fetchval(_CONTACTS, customer_id, start, end)


_CONTACTS = (
    "SELECT (SELECT count(*) FROM followups WHERE customer_id = $1 AND at >= $2 AND at < $3)"
    " + (SELECT count(*) FROM owner_news WHERE customer_id = $1 AND send_at >= $2 AND send_at < $3)"
)
