"""Bounded field types for request bodies: every string and list has a length, every time a sane range.

A value outside them is a 422 with a clear code (shared.web reads the `code` of the error), so nothing
unbounded reaches PostgreSQL: no NUL character (text refuses it), no year 1 or 9999 (timestamptz and
date arithmetic overflow), no 5 MB string in a tag.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, Field

T = TypeVar("T")
EARLIEST_YEAR, LATEST_YEAR = 2000, 2100  # a sales office deals in dates of this century


class InvalidText(ValueError):
    code = "invalid_text"


class InvalidTime(ValueError):
    code = "invalid_time"


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise InvalidText("text may not contain the NUL character")
    return value


def _aware_in_range(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidTime("a time needs its UTC offset, e.g. 2026-05-01T10:00:00+08:00")
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise InvalidTime(f"the year must lie between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


def _date_in_range(value: date) -> date:
    if not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise InvalidTime(f"the year must lie between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


def text(max_length: int = 200, min_length: int = 0) -> Any:
    """A string of at most `max_length` characters and no NUL."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length), AfterValidator(_no_nul)]


_NoNul = AfterValidator(_no_nul)
# Written out (not through text()) so type checkers see plain `str` aliases.
Id = Annotated[str, Field(max_length=64), _NoNul]  # ids in bodies and queries (then parsed as UUIDs)
Code = Annotated[str, Field(max_length=40), _NoNul]  # methods, kinds, channels, grades, statuses
Name = Annotated[str, Field(min_length=1, max_length=200), _NoNul]  # names, codes, numbers, buildings
Word = Annotated[str, Field(min_length=1, max_length=40), _NoNul]  # a required code: a source, a method
Reason = Annotated[str, Field(min_length=1, max_length=2000), _NoNul]  # why: a decision's or a cancellation's
Label = Annotated[str, Field(max_length=100), _NoNul]  # optional short names: a city, a tag, a referrer
Short = Annotated[str, Field(max_length=200), _NoNul]  # one-line free text: reasons, places, layouts
Long = Annotated[str, Field(max_length=4000), _NoNul]  # notes and follow-up content
Url = Annotated[str, Field(min_length=1, max_length=2000), _NoNul]
Time = Annotated[datetime, AfterValidator(_aware_in_range)]
Day = Annotated[date, AfterValidator(_date_in_range)]


def bounded_list(item: Any, max_length: int = 50) -> Any:
    """A list of at most `max_length` items."""
    return Annotated[list[item], Field(max_length=max_length)]


def check_json_value(value: Any, depth: int = 0) -> Any:
    """A free-form JSON value kept small: depth ≤ 5, ≤ 50 keys or items, strings ≤ 1000, integers in ±2^53."""
    if depth > 5:
        raise InvalidText("nested too deeply (at most 5 levels)")
    if isinstance(value, str):
        return _no_nul(value) if len(value) <= 1000 else _raise(InvalidText("a string longer than 1000"))
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return value
    if isinstance(value, int):
        return value if abs(value) <= 2**53 else _raise(InvalidText("an integer beyond ±2^53"))
    if isinstance(value, (list, dict)) and len(value) > 50:
        raise InvalidText("more than 50 items")
    if isinstance(value, list):
        return [check_json_value(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {_no_nul(str(k))[:100]: check_json_value(v, depth + 1) for k, v in value.items()}
    return value


def _raise(exc: Exception) -> Any:
    raise exc


JsonObject = Annotated[dict[str, Any], AfterValidator(check_json_value)]
