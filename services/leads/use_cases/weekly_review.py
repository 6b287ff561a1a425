"""Leads use case for the weekly review (R2, R13, R17): per consultant and for the project, from leads' own
tables and the events it already keeps."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import WEEKLY_COUNTS, iso_week, week_bounds, weekly_rows
from services.leads.store import weekly_review as review_store
from services.leads.use_cases.customers import count_needs
from services.leads.use_cases.overdue import overdue_kept_counts
from shared.http.exports import csv_text
from shared.kernel.clock import now_utc
from shared.trust.pii import Vault

TOP_NEEDS = 5  # R11: the needs the review names
CSV_COLUMNS = ("consultant_id", *WEEKLY_COUNTS, "within_3_rings_rate", "lost_by_reason")


async def weekly_review(
    conn: asyncpg.Connection, vault: Vault, project_id: uuid.UUID, week: str | None
) -> dict[str, Any]:
    """The week's figures per consultant (new customers, follow-ups, overdue, calls and the within-3-rings share,
    holds, deposits, subscriptions, contracts, lost by reason) and the project's loss reasons and most asked needs.
    `overdue` is as of now, so it is given for the current week only."""
    rules, now = await store.project_rules(conn, project_id), now_utc()
    week = week or iso_week(now, rules.timezone)
    start, end = week_bounds(week, rules.timezone)
    figures = [(r["consultant"], r["metric"], r["n"]) for r in await store.week_figures(conn, project_id, start, end)]
    current = start <= now < end
    late = await overdue_kept_counts(conn, project_id, now) if current else []
    rows = weekly_rows(figures, {c["consultant_id"]: c["followups"] + c["callbacks"] for c in late})
    losses: Counter[str] = Counter()
    for row in rows:
        losses.update(row["lost_by_reason"])
    while await count_needs(conn, vault, project_id, 1000):  # rows not counted yet (none, but after a migration)
        pass
    needs = await review_store.needs_between(conn, project_id, start, end, TOP_NEEDS)
    project = {"loss_reasons": dict(losses), "most_asked_needs": [{"need": n, "customers": c} for n, c in needs]}
    return {
        "project_id": str(project_id),
        "week": week,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "timezone": rules.timezone,
        "by_consultant": rows,
        "project": project,
    }


async def weekly_review_csv(conn: asyncpg.Connection, vault: Vault, project_id: uuid.UUID, week: str | None) -> str:
    """The weekly review as a spreadsheet: one line per consultant, every cell through the one export rule (a
    consultant id is someone's text)."""
    rows = (await weekly_review(conn, vault, project_id, week))["by_consultant"]
    return csv_text(CSV_COLUMNS, ([*(row[name] for name in CSV_COLUMNS[:-1]), _lost(row)] for row in rows))


def _lost(row: dict[str, Any]) -> str:
    return ";".join(f"{reason}={count}" for reason, count in sorted(row["lost_by_reason"].items()))
