"""Leads SQL that reads the group's report figures (issue 22): sums of the buckets of the days and projects asked
(per project, per consultant, per day), the funnel, targets, the projects and org units a report names, and what
the morning report asks of the tree. Every read follows the days × projects asked for, never the history."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

import asyncpg

from services.leads.domain import METRIC_COLUMNS
from shared.kernel.defaults import DEFAULTS

_SUMS = ", ".join(f"sum({c}) AS {c}" for c in METRIC_COLUMNS)
_DAYS = "FROM report_days WHERE project_id = ANY($1::uuid[]) AND day BETWEEN $2 AND $3"
_BY_PROJECT = f"SELECT project_id, {_SUMS} {_DAYS} GROUP BY project_id"
_BY_CONSULTANT = f"SELECT project_id, consultant_id, {_SUMS} {_DAYS} AND consultant_id <> '' GROUP BY 1, 2"
_BY_DAY = f"SELECT day, {_SUMS} {_DAYS} GROUP BY day ORDER BY day"
_FUNNEL = (
    "SELECT project_id, sum(registered) AS registered, sum(visited) AS visited, sum(held) AS held,"
    " sum(subscribed) AS subscribed, sum(contracted) AS contracted FROM report_funnel_days"
    " WHERE project_id = ANY($1::uuid[]) AND day BETWEEN $2 AND $3 GROUP BY project_id"
)
Ids = Sequence[uuid.UUID]


async def sums_by_project(conn: asyncpg.Connection, projects: Ids, first: date, last: date) -> list[asyncpg.Record]:
    """Per project, its buckets' sums over [first, last] (a project with none has no row)."""
    return await conn.fetch(_BY_PROJECT, list(projects), first, last)


async def sums_by_consultant(conn: asyncpg.Connection, projects: Ids, first: date, last: date) -> list[asyncpg.Record]:
    """Per project and known consultant, their buckets' sums over [first, last]."""
    return await conn.fetch(_BY_CONSULTANT, list(projects), first, last)


async def sums_by_day(conn: asyncpg.Connection, projects: Ids, first: date, last: date) -> list[asyncpg.Record]:
    """Per day of [first, last] with any figure, the projects' buckets summed."""
    return await conn.fetch(_BY_DAY, list(projects), first, last)


async def funnel(conn: asyncpg.Connection, projects: Ids, first: date, last: date) -> list[asyncpg.Record]:
    """Per project, of the customers registered in [first, last]: how many, and how many reached each stage."""
    return await conn.fetch(_FUNNEL, list(projects), first, last)


async def targets(conn: asyncpg.Connection, projects: Ids, month: date) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT project_id, subscriptions_amount, contracts_amount, collected FROM report_targets"
        " WHERE project_id = ANY($1::uuid[]) AND month = $2",
        list(projects),
        month,
    )


async def projects_named(conn: asyncpg.Connection, projects: Ids) -> list[asyncpg.Record]:
    """The projects leads knows of these (code, name, time zone), from inventory's project events."""
    return await conn.fetch(
        "SELECT project_id, code, name, timezone FROM projects WHERE project_id = ANY($1::uuid[])", list(projects)
    )


async def org_named(conn: asyncpg.Connection, org_id: uuid.UUID) -> asyncpg.Record | None:
    """An org unit of the group's tree, with its code and name when inventory has told them."""
    return await conn.fetchrow(
        "SELECT o.id, n.code, n.name FROM org_units o LEFT JOIN org_names n ON n.org_id = o.id WHERE o.id = $1", org_id
    )


# Every org unit with the time zones of the projects in its subtree (one per project; a project leads has not
# heard of yet keeps the default zone).
_ORG_ZONES = """
SELECT o.id AS org_id, n.name,
       coalesce(array_agg(coalesce(p.timezone, $1)) FILTER (WHERE po.project_id IS NOT NULL), '{}') AS zones
FROM org_units o
LEFT JOIN org_names n ON n.org_id = o.id
LEFT JOIN org_units u ON o.id = ANY(u.path_ids)
LEFT JOIN project_orgs po ON po.org_id = u.id
LEFT JOIN projects p ON p.project_id = po.project_id
GROUP BY o.id, n.name
"""


async def org_zones(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Every org unit, its name, and the time zones of its subtree's projects (the morning report's clock)."""
    return await conn.fetch(_ORG_ZONES, DEFAULTS.timezone)


async def morning_reports_sent(
    conn: asyncpg.Connection, due: Sequence[tuple[uuid.UUID, date]]
) -> set[tuple[uuid.UUID, date]]:
    """Which of these (org unit, day) reports went already."""
    rows = await conn.fetch(
        "SELECT m.org_id, m.day FROM morning_reports m"
        " JOIN unnest($1::uuid[], $2::date[]) AS d(org_id, day) ON d.org_id = m.org_id AND d.day = m.day",
        [org for org, _ in due],
        [day for _, day in due],
    )
    return {(r["org_id"], r["day"]) for r in rows}
