"""Leads SQL after the sale: a deal's progress towards after-sales (R31), return visits (R33) and owners' news of
new projects (R33)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from shared.db.rows import insert_row, window_args

# Topics are not ordered among themselves: any of these may be the first leads hears of a sale.
_PROGRESS = {
    "down_payment_due": "down_payment_due = $4",
    "down_payment_paid": "down_payment_paid = sales.down_payment_paid + $4",
    "mortgage_papers_at": "mortgage_papers_at = $4",
    "handed_over_at": "handed_over_at = $4",
    "paid_in_full_at": "paid_in_full_at = coalesce(sales.paid_in_full_at, $4)",
}


async def note_progress(
    conn: asyncpg.Connection, sale: tuple[uuid.UUID, uuid.UUID, uuid.UUID], name: str, value: Any
) -> None:
    """One step of a sale (sale, unit, customer): the down payment due or paid, the bank appointment, the handover."""
    await conn.execute(
        f"INSERT INTO sales (sale_id, unit_id, customer_id, {name}) VALUES ($1,$2,$3,$4)"
        f" ON CONFLICT (sale_id) DO UPDATE SET {_PROGRESS[name]}",
        *sale,
        value,
    )


_IN_SALES = "SELECT * FROM sales WHERE aftersales_since IS NULL AND ($1::uuid IS NULL OR sale_id = $1)"


async def deals_in_sales(conn: asyncpg.Connection, sale_id: uuid.UUID | None = None) -> list[asyncpg.Record]:
    """Sales still in the consultant's hands (R31); one of them when named."""
    return await conn.fetch(_IN_SALES, sale_id)


async def pass_to_aftersales(conn: asyncpg.Connection, sale_id: uuid.UUID, at: datetime) -> bool:
    """True the first time only: the deal belongs to after-sales from `at`."""
    status = await conn.execute(
        "UPDATE sales SET aftersales_since = $2 WHERE sale_id = $1 AND aftersales_since IS NULL", sale_id, at
    )
    return status.endswith(" 1")


async def owns_a_flat(conn: asyncpg.Connection, customer_id: uuid.UUID) -> bool:
    """R34: whether a flat of the project was handed over to the customer (leads heard of the handover)."""
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM sales WHERE customer_id = $1 AND handed_over_at IS NOT NULL)", customer_id
    )


_IN_AFTERSALES = (
    "SELECT DISTINCT s.customer_id FROM sales s JOIN customers c ON c.id = s.customer_id"
    " WHERE c.project_id = $1 AND s.aftersales_since IS NOT NULL"
)


async def customers_in_aftersales(conn: asyncpg.Connection, project_id: uuid.UUID) -> set[uuid.UUID]:
    return {row["customer_id"] for row in await conn.fetch(_IN_AFTERSALES, project_id)}


async def open_visit(conn: asyncpg.Connection, visit: dict[str, Any]) -> None:
    """One return visit per sale, however often the handover is replayed."""
    await insert_row(conn, "return_visits", visit, "ON CONFLICT (sale_id) DO NOTHING")


async def visit(conn: asyncpg.Connection, visit_id: uuid.UUID, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM return_visits WHERE id = $1" + (" FOR UPDATE" if lock else ""), visit_id)


async def record_visit(
    conn: asyncpg.Connection, visit_id: uuid.UUID, sealed: tuple[bytes, bytes | None], by: str, at: datetime
) -> None:
    await conn.execute(
        "UPDATE return_visits SET status = 'done', outcome_enc = $2, notes_enc = $3, done_by = $4, done_at = $5"
        " WHERE id = $1",
        visit_id,
        *sealed,
        by,
        at,
    )


_VISITS = (
    "SELECT v.*, c.name_enc, c.phone_masked FROM return_visits v JOIN customers c ON c.id = v.customer_id"
    " WHERE v.project_id = $1 AND ($2::text IS NULL OR v.status = $2) AND v.due_at >= $3 AND v.due_at < $4"
    " AND ($5::timestamptz IS NULL OR (v.due_at, v.id) > ($5, $6::uuid)) ORDER BY v.due_at, v.id LIMIT $7"
)


async def visits_page(
    conn: asyncpg.Connection,
    project_id: uuid.UUID,
    status: str | None,
    between: tuple[datetime, datetime],
    window: tuple[Any, int],
) -> list[asyncpg.Record]:
    """Return visits due in [from, to), by due time; only those of one status when named."""
    return await conn.fetch(_VISITS, project_id, status, *between, *window_args(window))


# R33: owners are buyers whose flat was handed over (they have a return visit); only those who consented.
_OWNERS = (
    "SELECT DISTINCT ON (c.id) c.id, c.project_id, c.phone_hash FROM return_visits v"
    " JOIN customers c ON c.id = v.customer_id"
    " LEFT JOIN project_orgs po ON po.project_id = c.project_id LEFT JOIN org_units o ON o.id = po.org_id"
    " WHERE c.project_id <> $1 AND c.consent_share AND o.path_ids[1] IS NOT DISTINCT FROM $2 ORDER BY c.id"
)


async def consenting_owners(
    conn: asyncpg.Connection, new_project_id: uuid.UUID, group: uuid.UUID | None
) -> list[asyncpg.Record]:
    """Owners of the group's other projects who consented (R18, R33); `group` is the root unit (None: the
    projects of no group, which an install without org units has as one group, as before v1.2)."""
    return await conn.fetch(_OWNERS, new_project_id, group)


async def save_news(
    conn: asyncpg.Connection, new_project_id: uuid.UUID, person_key: bytes, customer_id: uuid.UUID, send_at: datetime
) -> bool:
    """True the first time only: one message per person and new project."""
    status = await conn.execute(
        "INSERT INTO owner_news (new_project_id, person_key, customer_id, send_at) VALUES ($1,$2,$3,$4)"
        " ON CONFLICT DO NOTHING",
        new_project_id,
        person_key,
        customer_id,
        send_at,
    )
    return status.endswith(" 1")
