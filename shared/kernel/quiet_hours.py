"""R15, no bombarding: nothing reaches a customer or a consultant inside a project's quiet hours (default
21:00–09:00, local time). Pure: every service asks the same questions of the same rule."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


def parse_quiet_hours(text: str) -> tuple[time, time]:
    start, end = text.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    """Is a local time inside the window? Windows may cross midnight (21:00–09:00)."""
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def out_of_quiet_hours(moment: datetime, timezone: str, quiet: str) -> datetime:
    """R15: nothing is sent in quiet hours; a message due inside them moves to their end."""
    start, end = parse_quiet_hours(quiet)
    local = moment.astimezone(ZoneInfo(timezone))
    if not in_quiet_hours(local.time(), start, end):
        return moment
    end_today = local.replace(hour=end.hour, minute=end.minute, second=0, microsecond=0)
    moved = end_today if end_today > local else end_today + timedelta(days=1)
    return moved.astimezone(moment.tzinfo)


def is_quiet(moment: datetime, timezone: str, quiet: str) -> bool:
    """Is this moment inside the project's quiet hours, in the project's time zone?"""
    start, end = parse_quiet_hours(quiet)
    return in_quiet_hours(moment.astimezone(ZoneInfo(timezone)).time(), start, end)
