"""The calendar of the group's reports (issue 22): the dates, ranges and months a report is asked for, the zone a
group of projects keeps, and when each org unit's morning report (日报) falls due (a figure counts on its project's
local day: `standard.local_day`). Pure: no I/O."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.kernel.defaults import DEFAULTS
from shared.kernel.errors import InvalidInput

__all__ = [
    "LONGEST_RANGE_DAYS",
    "MORNING_REPORT_AT",
    "DayRange",
    "day_range",
    "month_range",
    "morning_report_day",
    "next_morning",
    "parse_date",
    "parse_month",
    "zone_of",
]

MORNING_REPORT_AT = time(8, 30)  # contract v1.2: the group managers' daily report, local time of the projects
LONGEST_RANGE_DAYS = 366  # a funnel over at most a year: a report's cost follows the days asked
DayRange = tuple[date, date]  # first and last day, both included
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_date(text: str | None, what: str = "date") -> date | None:
    """A date as YYYY-MM-DD (years 2000–2100); 422 `invalid_date` otherwise; None when not given."""
    if text is None:
        return None
    try:
        day = date.fromisoformat(text) if _DATE.match(text) else None
    except ValueError:
        day = None
    if day is None or not 2000 <= day.year <= 2100:
        raise InvalidInput(f"{what} must be a date YYYY-MM-DD between 2000 and 2100", "invalid_date")
    return day


def parse_month(text: str | None) -> DayRange | None:
    """A month as YYYY-MM: its first and last day; 422 `invalid_month` otherwise; None when not given."""
    if text is None:
        return None
    found = _MONTH.match(text)
    if found is None or not 1 <= int(found[2]) <= 12 or not 2000 <= int(found[1]) <= 2100:
        raise InvalidInput("month must be YYYY-MM (2000-01 … 2100-12)", "invalid_month")
    return month_range(date(int(found[1]), int(found[2]), 1))


def month_range(day: date) -> DayRange:
    """The month a day falls in: its first and last day."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def day_range(first: date | None, last: date | None) -> DayRange:
    """[from, to] as asked: both given, in order, at most `LONGEST_RANGE_DAYS` long; 422 `invalid_range` else."""
    if first is None or last is None:
        raise InvalidInput("from and to are both needed (YYYY-MM-DD)", "invalid_range")
    if last < first:
        raise InvalidInput("to comes before from", "invalid_range")
    if (last - first).days + 1 > LONGEST_RANGE_DAYS:
        raise InvalidInput(f"a range covers at most {LONGEST_RANGE_DAYS} days", "invalid_range")
    return first, last


def zone_of(zones: Iterable[str]) -> str:
    """The time zone a group of projects keeps: the one most of them have (ties: the first by name); the
    platform's default when there are none."""
    counted = Counter(zones)
    if not counted:
        return DEFAULTS.timezone
    return min(counted, key=lambda zone: (-counted[zone], zone))


def morning_report_day(now: datetime, timezone: str) -> date | None:
    """The day whose report an org unit gets at `now`: yesterday, from 08:30 local time on (a late start sends it
    late, once); None before 08:30 (yesterday's report is not due yet, the day before's went yesterday)."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.date() - timedelta(days=1) if local.time() >= MORNING_REPORT_AT else None


def next_morning(now: datetime, zones: Iterable[str]) -> datetime | None:
    """The next 08:30 after `now` in any of these zones (when the morning job next has something due)."""
    upcoming = []
    for zone in set(zones):
        local = now.astimezone(ZoneInfo(zone))
        today = datetime.combine(local.date(), MORNING_REPORT_AT, tzinfo=ZoneInfo(zone))
        upcoming.append(today if today > local else today + timedelta(days=1))
    return min(upcoming, default=None)
