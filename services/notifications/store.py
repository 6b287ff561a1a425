"""All of notifications' SQL: reminders, messages, the project clock and what settles a reminder."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, NamedTuple

import asyncpg

from services.notifications.domain import Planned
from shared.db.rows import earliest
from shared.kernel.defaults import DEFAULTS

_U = uuid.UUID


def _id(value: str | None) -> uuid.UUID | None:
    return uuid.UUID(value) if value else None


async def project_clock(conn: asyncpg.Connection, project_id: str | None) -> asyncpg.Record | None:
    return (
        await conn.fetchrow("SELECT timezone, quiet_hours FROM projects WHERE project_id = $1", _U(project_id))
        if project_id
        else None
    )


_INSERT_PROJECT = "INSERT INTO projects (project_id, timezone, quiet_hours) VALUES ($1,$2,$3)"
_CHANGED = _INSERT_PROJECT + " ON CONFLICT (project_id) DO UPDATE SET timezone = $2, quiet_hours = $3"


async def save_project(conn: asyncpg.Connection, project_id: str, tz: str, quiet: str, changed: bool = False) -> None:
    """The project's clock and quiet hours (R15); project-created only for a project not heard of yet (a
    project-changed may have come first), project-changed (`changed`) from now on."""
    await conn.execute(_CHANGED if changed else _INSERT_PROJECT + " ON CONFLICT DO NOTHING", _U(project_id), tz, quiet)


async def insert_reminder(
    conn: asyncpg.Connection, plan: Planned, ids: dict[str, str | None], source_event: str, send_at: datetime
) -> bool:
    """True when stored; a redelivered event finds its reminders there already."""
    status = await conn.execute(
        "INSERT INTO reminders (id, project_id, customer_id, sale_id, unit_id, kind, offset_label, source_event,"
        " recipient, channel, body, due_at, send_at, org_id) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)"
        " ON CONFLICT (source_event, kind, offset_label) DO NOTHING",
        uuid.uuid4(),
        _id(ids.get("project_id")),
        _id(ids.get("customer_id")),
        _id(ids.get("sale_id")),
        _id(ids.get("unit_id")),
        plan.kind,
        plan.offset,
        source_event,
        plan.recipient,
        plan.channel,
        plan.body,
        plan.due_at,
        send_at,
        _id(ids.get("org_id")),
    )
    return status.endswith("1")


async def cancel_reminders(
    conn: asyncpg.Connection,
    reason: str,
    *,
    sale_id: str | None = None,
    unit_id: str | None = None,
    customer_id: str | None = None,
    kind: str | None = None,
    except_source: str | None = None,
) -> int:
    """Scheduled reminders of a sale (or of a unit and customer), of one kind if named, are cancelled."""
    done = await conn.execute(
        "UPDATE reminders SET status = 'cancelled', cancelled_reason = $1 WHERE status = 'scheduled'"
        " AND ($2::uuid IS NULL OR sale_id = $2) AND ($3::uuid IS NULL OR (unit_id = $3 AND customer_id = $4))"
        " AND ($5::text IS NULL OR kind = $5) AND ($6::text IS NULL OR source_event <> $6)"
        " AND ($2::uuid IS NOT NULL OR $3::uuid IS NOT NULL)",
        reason,
        _id(sale_id),
        _id(unit_id),
        _id(customer_id),
        kind,
        except_source,
    )
    return int(done.split()[-1])


async def remember_cancelled_sale(conn: asyncpg.Connection, sale_id: str, reason: str) -> None:
    await conn.execute(
        "INSERT INTO cancelled_sales (sale_id, reason) VALUES ($1, $2) ON CONFLICT DO NOTHING", _U(sale_id), reason
    )


async def sale_cancelled(conn: asyncpg.Connection, sale_id: str | None) -> bool:
    return bool(sale_id) and bool(await conn.fetchval("SELECT 1 FROM cancelled_sales WHERE sale_id = $1", _U(sale_id)))


_DOWN_PAYMENT = (
    "INSERT INTO down_payments (sale_id, amount, paid) VALUES ($1, $2, $3) ON CONFLICT (sale_id) DO UPDATE"
    " SET amount = coalesce($2, down_payments.amount), paid = down_payments.paid + $3 RETURNING amount, paid"
)


async def down_payment(
    conn: asyncpg.Connection, sale_id: str, *, amount: Decimal | None = None, paid: Decimal = Decimal("0.00")
) -> asyncpg.Record:
    """Record what is due and add what was paid (either may come first); the row as it now stands."""
    return await conn.fetchrow(_DOWN_PAYMENT, _U(sale_id), amount, paid)


_DUE_REMINDERS = (
    "SELECT r.*, coalesce(p.timezone, $3) AS tz, coalesce(p.quiet_hours, $4) AS quiet"
    " FROM reminders r LEFT JOIN projects p ON p.project_id = r.project_id WHERE r.status = 'scheduled'"
    " AND r.send_at <= $1 ORDER BY r.send_at LIMIT $2 FOR UPDATE OF r SKIP LOCKED"
)


async def next_reminder_due(conn: asyncpg.Connection) -> datetime | None:
    """When the next scheduled reminder falls due (the dispatcher sleeps until then)."""
    return await earliest(conn, "reminders", "send_at", "status = 'scheduled'")


async def due_reminders(conn: asyncpg.Connection, now: datetime, batch: int) -> list[asyncpg.Record]:
    """Due reminders with their project's clock, locked so two dispatchers never take the same one."""
    return await conn.fetch(_DUE_REMINDERS, now, batch, DEFAULTS.timezone, DEFAULTS.quiet_hours)


async def postpone(conn: asyncpg.Connection, reminder_id: uuid.UUID, send_at: datetime) -> None:
    await conn.execute("UPDATE reminders SET send_at = $2 WHERE id = $1", reminder_id, send_at)


async def mark_sent(conn: asyncpg.Connection, reminder_id: uuid.UUID, attempts: int) -> None:
    await conn.execute(
        "UPDATE reminders SET status = 'sent', attempts = $2, sent_at = now() WHERE id = $1", reminder_id, attempts
    )


_MARK_FAILED_ATTEMPT = (
    "UPDATE reminders SET attempts = $2, status = CASE WHEN $3 THEN 'failed' ELSE 'scheduled' END,"
    " send_at = $4 WHERE id = $1"
)


async def mark_failed_attempt(
    conn: asyncpg.Connection, reminder_id: uuid.UUID, attempts: int, final: bool, retry_at: datetime
) -> None:
    await conn.execute(_MARK_FAILED_ATTEMPT, reminder_id, attempts, final, retry_at)


async def record_message(conn: asyncpg.Connection, row: asyncpg.Record, outcome: str, error: str | None) -> None:
    await conn.execute(
        "INSERT INTO notifications (id, reminder_id, project_id, recipient, channel, body, status, error, org_id)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
        uuid.uuid4(),
        row["id"],
        row["project_id"],
        row["recipient"],
        row["channel"],
        row["body"],
        outcome,
        error,
        row["org_id"],
    )


async def customer_project(conn: asyncpg.Connection, customer_id: uuid.UUID) -> uuid.UUID | None:
    return await conn.fetchval("SELECT project_id FROM customer_owners WHERE customer_id = $1", customer_id)


class Seen(NamedTuple):
    """What a person may see: these projects (None: all, for an admin) and, for a consultant, only their
    own customers' rows and those addressed to them (R8); messages to these org units (a group manager's)."""

    projects: list[uuid.UUID] | None
    consultant: str | None
    orgs: list[uuid.UUID] = []


Window = tuple[tuple[datetime, uuid.UUID] | None, int]  # (keyset cursor, page size)

# A consultant sees what is addressed to them and what concerns their customers: two index paths, each read in the
# list's order up to the page, then merged (an OR of the two would read the project's list until the page fills).
# A reminder, and a message, carries its customer's owner (`owner_id`, kept by the writes: migrations 007 and 008),
# read by its index.
_MINE = ("{t}recipient = 'staff:' || {p}", "{c} = {p}")


def _where(filters: list[tuple[str, Any]], after: str, window: Window) -> tuple[str, list[Any]]:
    """The filters that are set (each `{p}` its parameter), then the keyset; one statement per combination, so each
    reads its index (`reminders_project_due`, `notifications_project_at`, ...) in the list's order."""
    clauses, args = [], []
    for clause, value in filters:
        if isinstance(value, list) and len(value) == 1:  # one project: an equality reads its index in order
            clause, value = clause.replace("= ANY({p}::uuid[])", "= {p}"), value[0]
        if value is not None:
            args.append(value)
            clauses.append(clause.replace("{p}", f"${len(args)}"))
    cursor, limit = window
    if cursor is not None:
        clauses.append(after.format(len(args) + 1, len(args) + 2))
        args.extend(cursor)
    args.append(limit)
    return " AND ".join(clauses) or "true", args


def _paged(
    select: str, where: str, order: str, args: list[Any], mine: tuple[str | None, str, str]
) -> tuple[str, list[Any]]:
    """One statement for the page: `select … WHERE where ORDER BY order LIMIT`; for a consultant (`mine`: who, the
    recipient's table prefix, the customer column), the union of their two index paths, each cut to the page, merged
    and cut again."""
    consultant, table, customer = mine
    limit = f"${len(args)}"
    if consultant is None:
        return f"{select} WHERE {where} ORDER BY {order} LIMIT {limit}", args
    args = [*args, consultant]
    mine_only = [m.format(t=table, c=customer, p=f"${len(args)}") for m in _MINE]
    parts = [f"({select} WHERE {where} AND {m} ORDER BY {order} LIMIT {limit})" for m in mine_only]
    outer = ", ".join(column.split(".")[-1] for column in order.split(", "))
    return f"SELECT * FROM ({' UNION '.join(parts)}) AS mine ORDER BY {outer} LIMIT {limit}", args


async def reminders_page(
    conn: asyncpg.Connection, seen: Seen, about: tuple[uuid.UUID | None, uuid.UUID | None], window: Window
) -> list[asyncpg.Record]:
    """Reminders in due order, of a customer and/or sale (`about`) when named."""
    customer_id, sale_id = about
    filters: list[tuple[str, Any]] = [("project_id = ANY({p}::uuid[])", seen.projects)]
    filters += [("customer_id = {p}", customer_id), ("sale_id = {p}", sale_id)]
    where, args = _where(filters, "(due_at, id) > (${}, ${}::uuid)", window)
    sql, args = _paged("SELECT * FROM reminders", where, "due_at, id", args, (seen.consultant, "", "owner_id"))
    return await conn.fetch(sql, *args)


async def notifications_page(
    conn: asyncpg.Connection, seen: Seen, recipient: str | None, window: Window
) -> list[asyncpg.Record]:
    """Messages, newest first, to one recipient when named (a group manager's: their projects' and their org
    units', issue 22; project and org ids are both random UUIDs, so one list serves both columns)."""
    filters: list[tuple[str, Any]] = [("n.project_id = ANY({p}::uuid[])", seen.projects)]
    if seen.orgs and seen.projects is not None:
        places = [*seen.projects, *seen.orgs]
        filters = [("(n.project_id = ANY({p}::uuid[]) OR n.org_id = ANY({p}::uuid[]))", places)]
    filters += [("n.recipient = {p}", recipient)]
    where, args = _where(filters, "(n.at, n.id) < (${}, ${}::uuid)", window)
    select = "SELECT n.* FROM notifications n"
    sql, args = _paged(select, where, "n.at DESC, n.id DESC", args, (seen.consultant, "n.", "n.owner_id"))
    return await conn.fetch(sql, *args)


async def cancel_reminder_of(conn: asyncpg.Connection, kind: str, offset_label: str, reason: str) -> int:
    """One planned reminder (its kind and label, such as a call-back's id) is cancelled: it is no longer due."""
    done = await conn.execute(
        "UPDATE reminders SET status = 'cancelled', cancelled_reason = $3 WHERE status = 'scheduled'"
        " AND kind = $1 AND offset_label = $2",
        kind,
        offset_label,
        reason,
    )
    return int(done.split()[-1])
