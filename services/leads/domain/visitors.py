"""The day's visitor register (来访登记, R5): everyone who came in on a project's local day — customers and key
visitors — with personal data masked (R18). Pure: no I/O."""

from __future__ import annotations

import re
from datetime import date

from services.leads.domain.standard import day_span
from shared.kernel.errors import InvalidInput

__all__ = ["REGISTER_SEES_ALL", "VISIT", "day_span", "mask_name", "parse_day", "register_sees_all"]

VISIT = "visit"  # R16: the follow-up channel (CHANNELS) of a customer who came in (到访)
REGISTER_SEES_ALL = frozenset(
    {"manager", "sales_control", "admin", "group_manager"}
)  # the sales office sees every visitor
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100  # as every date the API takes (shared.fields)


def parse_day(text: str) -> date:
    """A local day written YYYY-MM-DD; InvalidInput `invalid_day` for anything else."""
    try:
        day = date.fromisoformat(text) if _DAY.fullmatch(text) else None
    except ValueError:
        day = None
    if day is None or not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise InvalidInput("day must be a date written YYYY-MM-DD (2000–2100)", "invalid_day")
    return day


def register_sees_all(viewer_role: str) -> bool:
    """The manager, sales control (and an admin) see every visitor of the day."""
    return viewer_role in REGISTER_SEES_ALL


def mask_name(name: str) -> str:
    """R18: the first character and stars (王**, L***): enough to greet, not enough to identify."""
    shown = name.strip()
    return (shown[:1] if len(shown) > 1 else "") + "*" * max(1, min(len(shown) - 1, 3))
