"""Leads SQL that keeps the group's report figures (issue 22): the events they are made of, the buckets (a project's
local day and a consultant) each event adds to, the funnel's stages per customer, the lock a rebuild takes, and
what the buckets are rebuilt from. What reports read is `report_reads`'."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Any

import asyncpg

from services.leads.domain import FUNNEL_STAGES, METRIC_COLUMNS, TARGETS

_REPORTS_LOCK = 7_311_022  # advisory lock: applying events (shared) and rebuilding the buckets (exclusive)

_JOURNAL = (
    "INSERT INTO report_events (event_id, kind, project_id, at, data) VALUES ($1, $2, $3, $4, $5)"
    " ON CONFLICT (event_id) DO NOTHING"
)
_ADD = (
    f"INSERT INTO report_days (project_id, day, consultant_id, {', '.join(METRIC_COLUMNS)})"
    f" VALUES ($1, $2, $3, {', '.join(f'${i}' for i in range(4, 4 + len(METRIC_COLUMNS)))})"
    " ON CONFLICT (project_id, day, consultant_id) DO UPDATE SET "
    + ", ".join(f"{c} = report_days.{c} + excluded.{c}" for c in METRIC_COLUMNS)
)
_REGISTER = """
WITH new AS (
    INSERT INTO report_funnel_customers (customer_id, project_id, day) VALUES ($1, $2, $3)
    ON CONFLICT (customer_id) DO NOTHING RETURNING project_id, day
)
INSERT INTO report_funnel_days (project_id, day, registered) SELECT project_id, day, 1 FROM new
ON CONFLICT (project_id, day) DO UPDATE SET registered = report_funnel_days.registered + 1
"""
# A stage counts once per customer, on the day the customer registered (the funnel asks who registered when).
_REACH = {
    stage: f"""
WITH reached AS (
    UPDATE report_funnel_customers SET {stage} = true WHERE customer_id = $1 AND NOT {stage} RETURNING project_id, day
)
INSERT INTO report_funnel_days (project_id, day, {stage}) SELECT project_id, day, 1 FROM reached
ON CONFLICT (project_id, day) DO UPDATE SET {stage} = report_funnel_days.{stage} + 1
"""
    for stage in FUNNEL_STAGES
}


async def applying(conn: asyncpg.Connection) -> None:
    """Events are applied under a shared lock (many at once); a rebuild waits for them, and they for it."""
    await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", _REPORTS_LOCK)


async def rebuilding(conn: asyncpg.Connection) -> None:
    """A rebuild holds the buckets alone until it commits."""
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _REPORTS_LOCK)


async def journal(
    conn: asyncpg.Connection, event_id: uuid.UUID, kind: str, project_id: uuid.UUID, at: datetime, data: dict
) -> bool:
    """Keep an event the buckets are made of; False when it was kept before (it is applied once)."""
    status = await conn.execute(_JOURNAL, event_id, kind, project_id, at, data)
    return status.endswith(" 1")


async def add_to_day(
    conn: asyncpg.Connection, project_id: uuid.UUID, day: date, consultant_id: str, values: tuple[Any, ...]
) -> None:
    """Add an event's metrics (in `METRIC_COLUMNS` order) to its bucket."""
    await conn.execute(_ADD, project_id, day, consultant_id, *values)


async def funnel_registered(conn: asyncpg.Connection, customer_id: uuid.UUID, project_id: uuid.UUID, day: date) -> None:
    """A customer enters the funnel on their day of registration (once)."""
    await conn.execute(_REGISTER, customer_id, project_id, day)


async def funnel_reached(conn: asyncpg.Connection, customer_id: uuid.UUID, stage: str) -> None:
    """A customer in the funnel reaches a stage: counted the first time only, on their registration day."""
    await conn.execute(_REACH[stage], customer_id)


async def visitor_type(conn: asyncpg.Connection, customer_id: uuid.UUID) -> str | None:
    """The customer's visitor type (R5), None for a customer leads does not know."""
    return await conn.fetchval("SELECT visitor_type FROM customers WHERE id = $1", customer_id)


async def clear_since(conn: asyncpg.Connection, since: date) -> None:
    """Every bucket from `since` on, and the funnel of the customers registered since: to be replayed."""
    await conn.execute("DELETE FROM report_days WHERE day >= $1", since)
    await conn.execute("DELETE FROM report_funnel_days WHERE day >= $1", since)
    await conn.execute("DELETE FROM report_funnel_customers WHERE day >= $1", since)


async def journal_since(conn: asyncpg.Connection, at: datetime) -> AsyncIterator[asyncpg.Record]:
    """The kept events from `at` on, in the order they were applied (inside the caller's transaction)."""
    query = "SELECT event_id, kind, project_id, at, data FROM report_events WHERE at >= $1 ORDER BY seq"
    async for row in conn.cursor(query, at, prefetch=500):
        yield row


async def save_org_name(conn: asyncpg.Connection, org_id: uuid.UUID, code: str, name: str) -> None:
    await conn.execute(
        "INSERT INTO org_names (org_id, code, name) VALUES ($1, $2, $3)"
        " ON CONFLICT (org_id) DO UPDATE SET code = $2, name = $3",
        org_id,
        code,
        name,
    )


async def mark_morning_report(conn: asyncpg.Connection, org_id: uuid.UUID, day: date, at: datetime) -> bool:
    """True the first time only: one morning report per org unit and day."""
    status = await conn.execute(
        "INSERT INTO morning_reports (org_id, day, sent_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", org_id, day, at
    )
    return status.endswith(" 1")


_SAVE_TARGETS = (
    "INSERT INTO report_targets (project_id, month, subscriptions_amount, contracts_amount, collected, set_by, set_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (project_id, month) DO UPDATE SET set_by = $6, set_at = $7, "
    + ", ".join(
        f"{c} = CASE WHEN $8::text[] @> ARRAY['{c}'] THEN excluded.{c} ELSE report_targets.{c} END" for c in TARGETS
    )
    + " RETURNING subscriptions_amount, contracts_amount, collected"
)


async def save_targets(
    conn: asyncpg.Connection, project_id: uuid.UUID, month: date, given: dict[str, Any], by: str, at: datetime
) -> asyncpg.Record:
    """A month's targets: the ones `given` (None clears one) replace theirs, the others stay; the row as it is now."""
    values = [given.get(c) for c in TARGETS]
    return await conn.fetchrow(_SAVE_TARGETS, project_id, month, *values, by, at, sorted(given))


MORNING_CHANNEL = "estate_morning_reports"  # NOTIFY at commit: the morning job looks again at once


async def wake_morning_reports(conn: asyncpg.Connection) -> None:
    """A new org unit may have a report due now (from 08:30 on, at once): the job is told when this commits."""
    await conn.execute("SELECT pg_notify($1, '')", MORNING_CHANNEL)
