"""Leads use cases that answer the group's reports (issue 22, contract v1.2 "Reports (leads)"): the daily report
(日报), the monthly one (月报) with targets (指标) and their completion, the funnel and the consultants' league,
each for one project or one org unit's subtree, from the buckets alone (their cost follows days × projects ×
consultants asked for, never the history). A rolled-up figure is the exact sum of its projects."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import (
    FUNNEL_STAGES,
    TARGETS,
    DayRange,
    Metrics,
    achieved,
    completion,
    completions,
    day_range,
    funnel_shape,
    league_order,
    month_range,
    parse_date,
    parse_month,
    total,
)
from services.leads.store import report_reads
from services.leads.store import reports as report_store
from services.leads.use_cases.report_scope import Scope, parse_id, report_scope
from shared.http.auth import GROUP_MANAGER, Principal
from shared.kernel.clock import now_utc
from shared.kernel.money import money_str

Targets = dict[str, Decimal | None]


@dataclass(frozen=True)
class ReportQuery:
    """What a report is asked for: one project or one org unit, and its day, month or range (text as given)."""

    project_id: str | None = None
    org_id: str | None = None
    date: str | None = None
    month: str | None = None
    first: str | None = None
    last: str | None = None


async def report(
    conn: asyncpg.Connection, who: Principal, name: str, query: ReportQuery, now: datetime | None = None
) -> Any:
    """One of the group's reports (daily, monthly, funnel, consultants) for the scope `who` may see."""
    scope = await report_scope(conn, who, query.project_id, query.org_id)
    if name == "daily":
        return await daily_report(conn, scope, parse_date(query.date), now)
    if name == "monthly":
        return await monthly_report(conn, scope, parse_month(query.month), now)
    if name == "funnel":
        first, last = parse_date(query.first, "from"), parse_date(query.last, "to")
        return await funnel_report(conn, scope, first, last, now)
    return await league(conn, scope, parse_month(query.month), now)


async def daily_report(
    conn: asyncpg.Connection, scope: Scope, day: date | None, now: datetime | None = None
) -> dict[str, Any]:
    """One local day's figures (yesterday by default), per project and in total; for one project, per consultant."""
    day = day or scope.today(now or now_utc()) - timedelta(days=1)
    figures = await _figures(conn, scope, day, day)
    return {"date": day.isoformat(), **scope.about(), **await _answer(conn, scope, figures, (day, day))}


async def monthly_report(
    conn: asyncpg.Connection, scope: Scope, month: DayRange | None, now: datetime | None = None
) -> dict[str, Any]:
    """A month's figures (this month by default) as the daily report gives them, plus each project's targets and
    their completion; the scope's targets are its projects' summed, met by those projects' figures."""
    first, last = month or month_range(scope.today(now or now_utc()))
    figures = await _figures(conn, scope, first, last)
    answer = {"month": first.strftime("%Y-%m"), **scope.about(), **await _answer(conn, scope, figures, (first, last))}
    targets = {r["project_id"]: {n: r[n] for n in TARGETS} for r in await report_reads.targets(conn, scope.ids, first)}
    for line, project in zip(answer["projects"], scope.projects, strict=True):
        aimed = targets.get(project.id, dict.fromkeys(TARGETS))
        line["targets"], line["completion"] = _money(aimed), completions(figures[project.id], aimed)
    summed, met = _summed_targets(figures, targets)
    return answer | {"targets": _money(summed), "completion": met}


async def funnel_report(
    conn: asyncpg.Connection, scope: Scope, first: date | None, last: date | None, now: datetime | None = None
) -> dict[str, Any]:
    """The customers registered in [from, to] and how many of them reached each stage to date, with each stage's
    rate from the one before; per project too. Without dates: this month so far."""
    if first is None and last is None:
        today = scope.today(now or now_utc())
        first, last = today.replace(day=1), today
    first, last = day_range(first, last)
    found = {r["project_id"]: r for r in await report_reads.funnel(conn, scope.ids, first, last)}
    stages = ("registered", *FUNNEL_STAGES)
    counts = {p.id: {s: int(found[p.id][s]) if p.id in found else 0 for s in stages} for p in scope.projects}
    summed = {s: sum(c[s] for c in counts.values()) for s in stages}
    lines = [_named(p) | funnel_shape(counts[p.id]) for p in scope.projects]
    answer = {"from": first.isoformat(), "to": last.isoformat(), **scope.about(), **funnel_shape(summed)}
    return answer | {"projects": lines}


async def league(
    conn: asyncpg.Connection, scope: Scope, month: DayRange | None, now: datetime | None = None
) -> list[dict[str, Any]]:
    """The consultants' league of a month (this month by default): every consultant with any figure, ranked by
    contracts amount, then subscriptions amount (highest first), then consultant id."""
    first, last = month or month_range(scope.today(now or now_utc()))
    rows = await report_reads.sums_by_consultant(conn, scope.ids, first, last)
    lines = [(Metrics.from_row(r), r["consultant_id"], str(r["project_id"])) for r in rows]
    lines = sorted((line for line in lines if not line[0].is_zero()), key=lambda line: league_order(*line))
    names = await store.staff_names(conn, sorted({c for _, c, _ in lines}))
    return [
        {"rank": rank, "consultant_id": c, "name": names.get(c), "project_id": p} | m.as_json()
        for rank, (m, c, p) in enumerate(lines, 1)
    ]


async def daily_series(conn: asyncpg.Connection, scope: Scope, first: date, last: date) -> list[dict[str, Any]]:
    """The scope's totals of each day of [first, last], days without a figure included (the dashboard's chart)."""
    found = {r["day"]: Metrics.from_row(r) for r in await report_reads.sums_by_day(conn, scope.ids, first, last)}
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [{"date": d.isoformat()} | found.get(d, Metrics()).as_json() for d in days]


async def _figures(conn: asyncpg.Connection, scope: Scope, first: date, last: date) -> dict[uuid.UUID, Metrics]:
    """Each project's figures over [first, last] (zeros for a project without any)."""
    rows = await report_reads.sums_by_project(conn, scope.ids, first, last)
    found = {r["project_id"]: Metrics.from_row(r) for r in rows}
    return {p.id: found.get(p.id, Metrics()) for p in scope.projects}


async def _answer(
    conn: asyncpg.Connection, scope: Scope, figures: dict[uuid.UUID, Metrics], days: DayRange
) -> dict[str, Any]:
    """The totals and each project's line; for one project, its line also lists each consultant with any figure,
    by consultant id (a figure no consultant is known for counts in the project's line only)."""
    lines = [_named(p) | figures[p.id].as_json() for p in scope.projects]
    if scope.one_project:
        rows = await report_reads.sums_by_consultant(conn, scope.ids, *days)
        people = sorted((r["consultant_id"], Metrics.from_row(r)) for r in rows)
        names = await store.staff_names(conn, [c for c, _ in people])
        lines[0]["consultants"] = [
            {"consultant_id": c, "name": names.get(c)} | m.as_json() for c, m in people if not m.is_zero()
        ]
    return {"totals": total(figures.values()).as_json(), "projects": lines}


def _named(project: Any) -> dict[str, Any]:
    return {"project_id": str(project.id), "code": project.code, "name": project.name}


def _money(values: Targets) -> dict[str, str | None]:
    return {name: None if value is None else money_str(value) for name, value in values.items()}


def _summed_targets(
    figures: dict[uuid.UUID, Metrics], targets: dict[uuid.UUID, Targets]
) -> tuple[Targets, dict[str, float | None]]:
    """The scope's targets (each the sum of the projects' that set it) and their completion by those projects."""
    summed: Targets = {}
    met: dict[str, float | None] = {}
    for name in TARGETS:
        aiming = [pid for pid, aimed in targets.items() if aimed.get(name) is not None and pid in figures]
        summed[name] = _sum(targets[pid][name] for pid in aiming) if aiming else None
        met[name] = completion(achieved(total(figures[pid] for pid in aiming))[name], summed[name])
    return summed, met


def _sum(values: Iterable[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), Decimal("0.00"))


async def set_targets(
    conn: asyncpg.Connection,
    who: Principal,
    project_id: str,
    month: str,
    given: dict[str, Decimal | None],
    now: datetime | None = None,
) -> dict[str, Any]:
    """A project's targets (指标) for a month, set by a group manager over it or an admin: the ones given replace
    theirs (null clears one), the others stay."""
    who.require_role(GROUP_MANAGER)  # admins always; a manager may not
    pid = parse_id(project_id, "project_id")
    assert pid is not None
    who.require_project(str(pid))
    span = parse_month(month)
    assert span is not None  # a path's month is always there
    first = span[0]
    row = await report_store.save_targets(conn, pid, first, given, who.sub, now or now_utc())
    return {"project_id": str(pid), "month": first.strftime("%Y-%m")} | _money({n: row[n] for n in TARGETS})
