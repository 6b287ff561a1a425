"""Quiet hours (R15) and reminder offsets (R28, R30, R32)."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from services.notifications import domain
from services.notifications.domain import down_payment_reminders, mortgage_reminders
from shared.kernel.quiet_hours import in_quiet_hours, out_of_quiet_hours, parse_quiet_hours

SH = ZoneInfo("Asia/Shanghai")


def test_quiet_window_crossing_midnight() -> None:
    start, end = parse_quiet_hours("21:00-09:00")
    assert in_quiet_hours(time(23, 0), start, end) and in_quiet_hours(time(8, 59), start, end)
    assert not in_quiet_hours(time(9, 0), start, end) and not in_quiet_hours(time(20, 59), start, end)


def test_a_message_due_at_night_moves_to_nine_in_the_morning() -> None:
    night = datetime(2026, 11, 23, 22, 30, tzinfo=SH)
    assert out_of_quiet_hours(night, "Asia/Shanghai", "21:00-09:00") == datetime(2026, 11, 24, 9, 0, tzinfo=SH)
    early = datetime(2026, 11, 24, 6, 0, tzinfo=SH)
    assert out_of_quiet_hours(early, "Asia/Shanghai", "21:00-09:00") == datetime(2026, 11, 24, 9, 0, tzinfo=SH)
    day = datetime(2026, 11, 24, 15, 0, tzinfo=SH)
    assert out_of_quiet_hours(day, "Asia/Shanghai", "21:00-09:00") == day


@given(
    moment=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)),
    start=st.times(),
    end=st.times(),
    tz=st.sampled_from(["Asia/Shanghai", "Asia/Tokyo", "Asia/Kolkata"]),
)
def test_never_inside_quiet_hours_and_never_earlier(moment, start, end, tz) -> None:
    start, end = start.replace(second=0, microsecond=0), end.replace(second=0, microsecond=0)
    quiet = f"{start:%H:%M}-{end:%H:%M}"
    moved = out_of_quiet_hours(moment, tz, quiet)
    assert moved >= moment
    assert moved - moment <= timedelta(days=1, hours=2)
    local = moved.astimezone(ZoneInfo(tz)).time()
    assert not in_quiet_hours(local, start, end)


def test_down_payment_reminders_5_and_2_days_before_r28() -> None:
    plans = down_payment_reminders("c1", "k1", "600000.00", date(2026, 12, 10), "Asia/Shanghai")
    customer = [p for p in plans if p.recipient == "customer:c1"]
    assert [p.due_at for p in customer] == [datetime(2026, 12, 5, 10, tzinfo=SH), datetime(2026, 12, 8, 10, tzinfo=SH)]
    assert "600000.00" in customer[0].body and len(plans) == 4


def test_mortgage_reminders_7_3_1_days_before_with_documents_place_time_r30() -> None:
    at = datetime(2026, 12, 20, 14, 30, tzinfo=SH)
    plans = mortgage_reminders("c1", at, "ICBC 西湖支行", ["身份证", "收入证明"], "Asia/Shanghai")
    assert [at - p.due_at for p in plans] == [timedelta(days=7), timedelta(days=3), timedelta(days=1)]
    assert all("ICBC 西湖支行" in p.body and "身份证、收入证明" in p.body and "14:30" in p.body for p in plans)


def test_the_morning_digest_names_each_consultant_for_the_managers_r13() -> None:
    now = datetime(2031, 3, 3, 1, 5, tzinfo=UTC)
    lines = [{"consultant_id": "c-a", "consultant_name": "王五", "followups": 2, "callbacks": 1}]
    plan = domain.overdue_digest("p-1", date(2031, 3, 3), 3, lines, now)
    assert (plan.recipient, plan.channel, plan.offset, plan.due_at) == ("role:manager:p-1", "in_app", "2031-03-03", now)
    assert "王五 跟进 2、回电 1" in plan.body and "共 3 条" in plan.body
    many = [{"consultant_id": f"c-{i}", "followups": 1, "callbacks": 0} for i in range(domain.DIGEST_LINES + 2)]
    assert "另有 2 位顾问" in domain.overdue_digest("p-1", date(2031, 3, 3), 42, many, now).body
    assert "没有逾期" in domain.overdue_digest("p-1", date(2031, 3, 3), 0, [], now).body


def test_news_of_a_new_project_goes_to_the_owner_at_the_time_leads_chose_r33() -> None:
    at = datetime(2031, 5, 6, 2, 0, tzinfo=UTC)
    plan = domain.project_news("cust-1", "proj-2", "North Bay", at)
    assert (plan.recipient, plan.channel, plan.offset, plan.due_at) == ("customer:cust-1", "sms", "proj-2", at)
    assert "North Bay" in plan.body


def test_the_morning_report_names_its_day_and_the_orgs_totals_for_its_group_managers() -> None:
    """Issue 22: the daily report (日报) goes to `role:group_manager:{org}` in the app, naming the date and every
    total, at 08:30 — inside the default quiet hours, which hold back customers' and consultants' messages only."""
    deal = {"count": 2, "area_m2": "209.50", "amount": "2930000.00"}
    totals = {"new_customers": 6, "visits": 5, "calls": 4, "calls_within_3_rings": 2, "holds": deal}
    totals |= {"subscriptions": deal, "contracts": deal, "cancellations": 1, "collected": "400000.00"}
    totals |= {"refunded": "50000.00", "handovers": 1}
    at = datetime(2026, 3, 5, 8, 30, tzinfo=SH)
    plan = domain.daily_report("org-1", "华东区域", date(2026, 3, 4), totals, at)
    assert (plan.recipient, plan.channel, plan.kind, plan.offset) == (
        "role:group_manager:org-1",
        "in_app",
        "daily_report",
        "2026-03-04",
    )
    assert "2026-03-04" in plan.body and "华东区域" in plan.body and "¥400000.00" in plan.body
    assert "新客 6" in plan.body and "认购 2 套 209.50㎡ ¥2930000.00" in plan.body and "退款 ¥50000.00" in plan.body
    assert domain.send_time(plan.kind, at, "Asia/Shanghai", "21:00-09:00") == at
    later = domain.send_time("callback", at, "Asia/Shanghai", "21:00-09:00")
    assert later == datetime(2026, 3, 5, 9, 0, tzinfo=SH)  # everything else still waits for the quiet to end
