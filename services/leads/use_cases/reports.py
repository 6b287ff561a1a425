"""Leads use case for the weekly review (R2, R13, R17): per consultant and for the project, from leads' own
tables and the events it already keeps."""

from __future__ import annotations

import uuid
from collections import Counter
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import iso_week, most_asked_needs, week_bounds, weekly_rows
from services.leads.use_cases.reads import overdue_followups
from shared.kernel.clock import now_utc
from shared.trust.pii import Vault


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
    overdue = Counter(i["consultant_id"] for i in await overdue_followups(conn, project_id)) if current else Counter()
    rows = weekly_rows(figures, dict(overdue))
    losses: Counter[str] = Counter()
    for row in rows:
        losses.update(row["lost_by_reason"])
    profiles = [vault.decrypt_json(p, {}) for p in await store.profiles_registered(conn, project_id, start, end)]
    project = {"loss_reasons": dict(losses), "most_asked_needs": most_asked_needs(profiles)}
    return {
        "project_id": str(project_id),
        "week": week,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "timezone": rules.timezone,
        "by_consultant": rows,
        "project": project,
    }
