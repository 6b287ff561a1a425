"""Issue 22 (pure): the reports' calendar — dates and months as asked, a range's bounds, the zone a group keeps, the
morning report's day from 08:30 local time and its next 08:30 — and a report's tables for CSV and Excel."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.leads.domain import (
    METRIC_COLUMNS,
    InvalidInput,
    Metrics,
    Table,
    csv_rows,
    day_range,
    funnel_shape,
    funnel_tables,
    league_tables,
    month_range,
    morning_report_day,
    next_morning,
    parse_date,
    parse_month,
    period_tables,
    zone_of,
)


def test_dates_and_months_as_asked() -> None:
    assert parse_date("2026-03-04") == date(2026, 3, 4) and parse_date(None) is None
    assert parse_month("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))  # a leap year's February
    assert parse_month("2026-12") == (date(2026, 12, 1), date(2026, 12, 31)) and parse_month(None) is None
    for bad in ("2026-3-4", "2026-02-30", "1999-12-31", "2101-01-01", "04/03/2026", ""):
        with pytest.raises(InvalidInput) as refused:
            parse_date(bad)
        assert refused.value.code == "invalid_date"
    for bad in ("2026-13", "2026-00", "2026-1", "1999-12", "x"):
        with pytest.raises(InvalidInput) as refused:
            parse_month(bad)
        assert refused.value.code == "invalid_month"


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_a_month_holds_its_day(day: date) -> None:
    first, last = month_range(day)
    assert first <= day <= last and first.day == 1 and first.month == last.month == day.month
    assert (last.replace(day=28) - first).days == 27 and last.day >= 28


def test_a_range_is_in_order_and_at_most_a_year() -> None:
    assert day_range(date(2026, 1, 1), date(2026, 12, 31)) == (date(2026, 1, 1), date(2026, 12, 31))
    for first, last in ((date(2026, 3, 5), date(2026, 3, 4)), (date(2024, 1, 1), date(2025, 1, 1)), (None, None)):
        with pytest.raises(InvalidInput) as refused:
            day_range(first, last)
        assert refused.value.code == "invalid_range"


def test_a_group_keeps_the_zone_most_of_its_projects_keep() -> None:
    assert zone_of([]) == "Asia/Shanghai"
    assert zone_of(["Asia/Urumqi", "Asia/Shanghai", "Asia/Urumqi"]) == "Asia/Urumqi"
    assert zone_of(["Asia/Urumqi", "Asia/Shanghai"]) == "Asia/Shanghai"  # a tie: the first by name


def test_the_morning_report_is_yesterdays_from_0830_local_time() -> None:
    before = datetime(2026, 3, 5, 0, 29, tzinfo=UTC)  # 08:29 in Shanghai
    assert morning_report_day(before, "Asia/Shanghai") is None
    assert morning_report_day(datetime(2026, 3, 5, 0, 30, tzinfo=UTC), "Asia/Shanghai") == date(2026, 3, 4)
    late = datetime(2026, 3, 5, 15, 59, tzinfo=UTC)  # 23:59 there: a late start still sends yesterday's, once
    assert morning_report_day(late, "Asia/Shanghai") == date(2026, 3, 4)
    assert morning_report_day(datetime(2026, 3, 5, 16, 0, tzinfo=UTC), "Asia/Shanghai") is None  # the 6th, 00:00
    new_york = datetime(2026, 3, 9, 12, 30, tzinfo=UTC)  # 08:30 EDT, the day after the clocks went forward
    assert morning_report_day(new_york, "America/New_York") == date(2026, 3, 8)


def test_the_job_sleeps_until_the_next_0830_anywhere() -> None:
    now = datetime(2026, 3, 5, 0, 0, tzinfo=UTC)
    assert next_morning(now, {"Asia/Shanghai"}) == datetime(2026, 3, 5, 0, 30, tzinfo=UTC)
    earlier = datetime(2026, 3, 4, 23, 0, tzinfo=UTC)  # 08:00 in Tokyo, 07:00 in Shanghai
    assert next_morning(earlier, {"Asia/Shanghai", "Asia/Tokyo"}) == datetime(2026, 3, 4, 23, 30, tzinfo=UTC)
    assert next_morning(datetime(2026, 3, 5, 0, 30, tzinfo=UTC), {"Asia/Shanghai"}) == datetime(
        2026, 3, 6, 0, 30, tzinfo=UTC
    )
    assert next_morning(now, set()) is None


def _daily(consultants: bool) -> dict:
    line = {"project_id": "p1", "code": "=A1", "name": "项目", **Metrics(collected=Decimal("12.50")).as_json()}
    if consultants:
        line["consultants"] = [{"consultant_id": "c1", "name": "-x", **Metrics(visits=2).as_json()}]
    return {"date": "2026-03-04", "totals": Metrics(collected=Decimal("12.50")).as_json(), "projects": [line]}


def test_a_daily_report_is_three_tables_and_one_csv() -> None:
    tables = period_tables(_daily(True), "date")
    assert [t.name for t in tables] == ["totals", "projects", "consultants"]
    assert tables[0].columns == ("date", "projects", *METRIC_COLUMNS)
    collected = tables[0].columns.index("collected")
    assert tables[0].rows[0][collected] == Decimal("12.50") and collected in tables[0].money_columns()
    assert tables[2].rows[0][:4] == ("2026-03-04", "p1", "c1", "-x")
    header, rows = csv_rows(tables)
    assert header[:6] == ("table", "date", "projects", *METRIC_COLUMNS[:3]) and len(rows) == 3
    assert rows[1][0] == "projects" and rows[1][header.index("code")] == "=A1"  # made safe when written
    assert rows[0][header.index("code")] is None  # a column the totals do not have
    assert [t.name for t in period_tables(_daily(False), "date")] == ["totals", "projects"]


def test_a_month_carries_targets_and_completion_columns() -> None:
    month = _daily(False) | {"month": "2026-03"}
    month["projects"][0] |= {"targets": {"collected": "100.00"}, "completion": {"collected": 0.125}}
    month |= {"targets": {"collected": "100.00"}, "completion": {"collected": 0.125}}
    projects = period_tables(month, "month")[1]
    row = dict(zip(projects.columns, projects.rows[0], strict=True))
    assert row["target_collected"] == Decimal("100.00") and row["completion_collected"] == 0.125
    assert row["target_contracts_amount"] is None


def test_the_funnel_and_the_league_as_tables() -> None:
    funnel = {"from": "2026-03-01", "to": "2026-03-31", **funnel_shape({"registered": 4, "visited": 1})}
    funnel["projects"] = [{"project_id": "p1", "code": "A", "name": "n", **funnel_shape({"registered": 4})}]
    totals, projects = funnel_tables(funnel)
    assert totals.rows[0][:5] == ("2026-03-01", "2026-03-31", 4, 1, 0.25) and projects.rows[0][2] == "p1"
    league = [{"rank": 1, "consultant_id": "c", "name": None, "project_id": "p", **Metrics().as_json()}]
    [table] = league_tables(league)
    assert isinstance(table, Table) and table.rows[0][:4] == (1, "c", None, "p")
