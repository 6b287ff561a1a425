"""The weekly review a sales manager holds with the team (R2, R13, R17): figures per consultant and for the
project. Pure: the store counts, this shapes."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from shared.kernel.errors import InvalidInput

__all__ = ["WEEKLY_COUNTS", "iso_week", "most_asked_needs", "needs_change", "needs_of", "week_bounds", "weekly_rows"]

WEEKLY_COUNTS = (
    "new_customers",
    "followups",
    "overdue",
    "calls",
    "calls_within_3_rings",
    "holds",
    "deposits",
    "subscriptions",
    "contracts",
)
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def iso_week(moment: datetime, timezone: str) -> str:
    """The project's ISO week a moment falls in, as YYYY-Www."""
    year, week, _ = moment.astimezone(ZoneInfo(timezone)).isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str, timezone: str) -> tuple[datetime, datetime]:
    """[Monday 00:00, next Monday 00:00) of an ISO week, in the project's time zone."""
    found = _WEEK.match(week)
    try:
        monday = date.fromisocalendar(int(found.group(1)), int(found.group(2)), 1) if found else None
    except ValueError:
        monday = None
    if monday is None or not 2000 <= monday.year <= 2100:
        raise InvalidInput("week is an ISO week such as 2026-W48", "invalid_week")
    start = datetime.combine(monday, time(0), ZoneInfo(timezone))
    return start, start + timedelta(days=7)


def weekly_rows(figures: Iterable[tuple[str, str, int]], overdue: dict[str, int]) -> list[dict[str, Any]]:
    """One row per consultant: the counts, the share of calls answered within three rings (R1), lost by reason."""
    rows: dict[str, dict[str, Any]] = {}
    for consultant, metric, count in figures:
        row = rows.setdefault(
            consultant, {"consultant_id": consultant, **dict.fromkeys(WEEKLY_COUNTS, 0), "lost_by_reason": {}}
        )
        if metric.startswith("lost:"):
            row["lost_by_reason"][metric.removeprefix("lost:")] = count
        else:
            row[metric] = count
    for consultant, count in overdue.items():
        rows.setdefault(
            consultant, {"consultant_id": consultant, **dict.fromkeys(WEEKLY_COUNTS, 0), "lost_by_reason": {}}
        )["overdue"] = count
    for row in rows.values():
        row["within_3_rings_rate"] = round(row["calls_within_3_rings"] / row["calls"], 4) if row["calls"] else None
    return sorted(rows.values(), key=lambda row: row["consultant_id"])


def needs_of(profile: Any) -> Counter[str]:
    """R11: what one customer's profile asks for: its purpose, layouts and districts (what the review counts)."""
    asked: Counter[str] = Counter()
    needs = profile.get("needs") if isinstance(profile, dict) else None
    if not isinstance(needs, dict):
        return asked
    if needs.get("purpose"):
        asked[f"purpose:{needs['purpose']}"] += 1
    for kind in ("layouts", "districts"):
        asked.update(f"{kind[:-1]}:{value}" for value in needs.get(kind) or [] if isinstance(value, str))
    return asked


def needs_change(before: Any, after: Any) -> dict[str, int]:
    """What a profile's change moves in the counts of needs: +1 for each need added, -1 for each taken away."""
    change = dict(needs_of(after))
    for need, n in needs_of(before).items():
        change[need] = change.get(need, 0) - n
    return {need: n for need, n in change.items() if n}


def most_asked_needs(profiles: Iterable[dict[str, Any]], top: int = 5) -> list[dict[str, Any]]:
    """R11, R17: what new customers ask for most: purpose, layouts and districts from their profiles' needs."""
    asked: Counter[str] = Counter()
    for profile in profiles:
        asked.update(needs_of(profile))
    return [{"need": need, "customers": count} for need, count in asked.most_common(top)]
