"""The one clock: every service asks it the time, so tests and rules agree on what "now" is."""

from __future__ import annotations

from datetime import UTC, datetime


def now_utc() -> datetime:
    """The current moment, timezone-aware (UTC); local times are derived from a project's zone."""
    return datetime.now(UTC)
