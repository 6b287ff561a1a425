"""The visitor register's pure rules (R5, R18): the day as asked, the local day's span, masked names, who sees all."""

from __future__ import annotations

from datetime import UTC, date, timedelta

import pytest

from services.leads.domain.visitors import day_span, mask_name, parse_day, register_sees_all
from shared.kernel.errors import InvalidInput


def test_a_day_is_yyyy_mm_dd_of_this_century_else_invalid_day_r5() -> None:
    assert parse_day("2026-05-01") == date(2026, 5, 1)
    for bad in ("2026-5-1", "20260501", "2026-02-30", "1999-12-31", "2026-05-01T00:00", "２０２６-05-01", "", "x"):
        with pytest.raises(InvalidInput) as refused:
            parse_day(bad)
        assert refused.value.code == "invalid_day", bad


def test_the_local_day_runs_from_local_midnight_to_the_next_even_across_dst_r5() -> None:
    start, end = day_span(date(2026, 5, 1), "Asia/Shanghai")
    assert start.isoformat() == "2026-05-01T00:00:00+08:00" and end - start == timedelta(days=1)
    start, end = day_span(date(2026, 3, 29), "Europe/London")  # the clocks go forward: a 23-hour day
    assert end.isoformat() == "2026-03-30T00:00:00+01:00"
    assert end.astimezone(UTC) - start.astimezone(UTC) == timedelta(hours=23)


def test_names_are_masked_to_their_first_character_r18() -> None:
    assert mask_name("王小明") == "王**" and mask_name("王五") == "王*" and mask_name("Wang Xiaoming") == "W***"
    assert mask_name("王") == "*" and mask_name("  ") == "*"  # one character alone would be the whole name


def test_the_sales_office_sees_every_visitor_a_consultant_does_not_r5() -> None:
    assert all(register_sees_all(role) for role in ("manager", "sales_control", "admin"))
    assert not register_sees_all("consultant") and not register_sees_all("finance")
