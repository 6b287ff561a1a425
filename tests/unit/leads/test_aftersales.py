"""Leads' pure rules after the sale and of the daily rhythm: after-sales (R31), the return visit (R33), news held
by the contact cap (R15, R33), the 09:00 digest (R13) — exhaustively or across time zones."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.leads.domain import aftersales as rules
from services.leads.domain import due_for, is_overdue
from shared.kernel.errors import Conflict, InvalidInput

ZONES = st.sampled_from(["Asia/Shanghai", "Asia/Urumqi", "Europe/London", "America/Los_Angeles", "UTC"])
MOMENTS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))
NOW = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("paid", "signed", "papers", "handed_over"),
    list(itertools.product(["none", "short", "full"], *[[False, True]] * 3)),
)
def test_a_deal_passes_to_aftersales_only_when_every_step_is_done_or_handed_over_r31(
    paid: str, signed: bool, papers: bool, handed_over: bool
) -> None:
    due = None if paid == "none" else Decimal("300000.00")
    deal = rules.DealProgress(
        down_payment_due=due,
        down_payment_paid=Decimal("300000.00") if paid == "full" else Decimal("299999.99"),
        contract_signed=signed,
        mortgage_papers_at=NOW - timedelta(minutes=1) if papers else None,
        handed_over=handed_over,
    )
    assert rules.passes_to_aftersales(deal, NOW) == (handed_over or (paid == "full" and signed and papers))


@pytest.mark.parametrize(("in_full", "signed"), list(itertools.product([False, True], repeat=2)))
def test_a_buyer_who_pays_in_full_without_a_mortgage_passes_when_paid_and_signed_r31(
    in_full: bool, signed: bool
) -> None:
    """No bank appointment, no mortgage papers: the whole price paid and the contract signed end the consultant's
    duty (a handover is not waited for)."""
    deal = rules.DealProgress(Decimal("300000.00"), Decimal("300000.00"), signed, None, False, paid_in_full=in_full)
    assert rules.passes_to_aftersales(deal, NOW) == (in_full and signed)


def test_papers_are_in_only_once_the_bank_appointment_has_come_r31() -> None:
    deal = rules.DealProgress(Decimal("1.00"), Decimal("1.00"), True, NOW + timedelta(seconds=1), False)
    assert not rules.passes_to_aftersales(deal, NOW)
    assert rules.passes_to_aftersales(deal, NOW + timedelta(seconds=1))


@given(moment=MOMENTS, days=st.integers(1, 365))
def test_the_return_visit_is_due_the_projects_days_after_handover_r33(moment: datetime, days: int) -> None:
    assert rules.return_visit_due(moment, days) - moment == timedelta(days=days)


def test_a_return_visit_is_recorded_once_with_what_was_said_r33() -> None:
    with pytest.raises(InvalidInput):
        rules.check_visit_record("due", " ")
    with pytest.raises(Conflict):
        rules.check_visit_record("done", "fine")
    rules.check_visit_record("due", "fine")


@given(moment=MOMENTS, zone=ZONES)
def test_the_digest_is_due_from_nine_project_time_for_that_local_day_r13(moment: datetime, zone: str) -> None:
    local = moment.astimezone(ZoneInfo(zone))
    expected = local.date() if local.time() >= time(9, 0) else None
    assert rules.digest_day(moment, zone) == expected


def test_the_digest_has_one_line_per_consultant_most_overdue_first_r13() -> None:
    early, late = NOW - timedelta(days=9), NOW - timedelta(days=1)
    items = [
        {"kind": "followup", "consultant_id": "c-b", "due_at": late},
        {"kind": "callback", "consultant_id": "c-a", "due_at": late},
        {"kind": "followup", "consultant_id": "c-a", "due_at": early},
    ]
    lines = rules.digest_lines(items, {"c-a": "Wang"})
    assert lines == [
        {"consultant_id": "c-a", "consultant_name": "Wang", "followups": 1, "callbacks": 1, "oldest_due_at": early},
        {"consultant_id": "c-b", "consultant_name": None, "followups": 1, "callbacks": 0, "oldest_due_at": late},
    ]
    assert rules.digest_lines([], {}) == []


@given(moment=MOMENTS, zone=ZONES, contacts=st.integers(0, 4), cap=st.integers(1, 3))
def test_news_waits_for_the_next_local_morning_once_the_cap_is_reached_r15_r33(
    moment: datetime, zone: str, contacts: int, cap: int
) -> None:
    at = rules.news_send_at(moment, zone, contacts, cap)
    if contacts < cap:
        assert at == moment
    else:
        local = at.astimezone(ZoneInfo(zone))
        assert local.date() == moment.astimezone(ZoneInfo(zone)).date() + timedelta(days=1)
        assert local.time() == rules.NEWS_AT


GRADES = st.sampled_from([None, "A", "B", "C"])
CADENCE_DAYS = {"A": 7, "B": 14, "C": 30}


@given(last=MOMENTS, grade=GRADES, agreed=st.none() | MOMENTS, now=MOMENTS, zone=ZONES)
def test_overdue_follows_the_grade_or_the_agreed_contact_in_any_time_zone_r13(
    last: datetime, grade: str | None, agreed: datetime | None, now: datetime, zone: str
) -> None:
    """R13, R14: due at the agreed next contact or when the grade's cadence (A 7, B 14, C 30 days) runs out,
    whichever is first; overdue once that instant has passed — the same instant whatever zone it is read in."""
    local = ZoneInfo(zone)
    due = due_for(last.astimezone(local), grade, agreed.astimezone(local) if agreed else None)
    by_cadence = last + timedelta(days=CADENCE_DAYS[grade]) if grade else None
    expected = min((t for t in (agreed, by_cadence) if t is not None), default=None)
    assert due == expected
    assert is_overdue(due, now.astimezone(local)) == (expected is not None and expected < now)
