"""The weekly review's pure shaping (R2, R13, R17): ISO weeks in the project's zone, rows, most asked needs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.leads.domain import reports
from shared.kernel.errors import InvalidInput

ZONES = st.sampled_from(["Asia/Shanghai", "Asia/Urumqi", "Europe/London", "America/Los_Angeles"])


@given(
    moment=st.datetimes(min_value=datetime(2001, 1, 2), max_value=datetime(2099, 12, 30), timezones=st.just(UTC)),
    zone=ZONES,
)
def test_a_moment_lies_in_the_week_it_is_named_after(moment: datetime, zone: str) -> None:
    start, end = reports.week_bounds(reports.iso_week(moment, zone), zone)
    assert start <= moment < end and (end - start).days == 7


def test_rows_count_per_consultant_with_the_share_of_calls_answered_in_time_r1() -> None:
    figures = [("c-a", "calls", 4), ("c-a", "calls_within_3_rings", 3), ("c-b", "lost:price", 2), ("c-b", "holds", 1)]
    rows = reports.weekly_rows(figures, {"c-c": 2})
    assert [r["consultant_id"] for r in rows] == ["c-a", "c-b", "c-c"]
    assert rows[0]["within_3_rings_rate"] == 0.75 and rows[1]["within_3_rings_rate"] is None
    assert rows[1]["lost_by_reason"] == {"price": 2} and rows[1]["holds"] == 1 and rows[2]["overdue"] == 2


def test_the_most_asked_needs_come_from_profiles() -> None:
    profiles = [{"needs": {"purpose": "upgrade", "districts": ["Binjiang"]}}, {"needs": {"purpose": "upgrade"}}, {}]
    assert reports.most_asked_needs(profiles)[0] == {"need": "purpose:upgrade", "customers": 2}


@pytest.mark.parametrize("week", ["2026-W54", "2026-13", "W01-2026", "1999-W01"])
def test_a_week_that_is_no_iso_week_is_refused(week: str) -> None:
    with pytest.raises(InvalidInput):
        reports.week_bounds(week, "Asia/Shanghai")
