"""The follow-up standard's pure rules (R11, R12, R15, R17), across time zones and local midnight."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.leads.domain import standard as rules
from shared.kernel.errors import Conflict, InvalidInput

ZONES = st.sampled_from(["Asia/Shanghai", "Asia/Urumqi", "Europe/London", "America/Los_Angeles", "UTC"])
MOMENTS = st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))


@given(moment=MOMENTS, zone=ZONES)
def test_quiet_hours_are_the_projects_local_night_r15(moment: datetime, zone: str) -> None:
    local = moment.astimezone(ZoneInfo(zone)).time()
    quiet = local >= time(21, 0) or local < time(9, 0)
    if quiet:
        with pytest.raises(rules.QuietHours):
            rules.check_not_quiet(moment, zone, "21:00-09:00", "next_contact_at")
    else:
        rules.check_not_quiet(moment, zone, "21:00-09:00", "next_contact_at")


@given(moment=MOMENTS, zone=ZONES, minutes=st.integers(1, 24 * 60))
def test_the_local_day_turns_at_local_midnight_r15(moment: datetime, zone: str, minutes: int) -> None:
    """Two moments are on one local day exactly when no local midnight lies between them."""
    later = moment + timedelta(minutes=minutes)
    tz = ZoneInfo(zone)
    next_midnight = datetime.combine(moment.astimezone(tz).date() + timedelta(days=1), time(0), tz)
    assert (rules.local_day(moment, zone) == rules.local_day(later, zone)) == (later < next_midnight)


@given(done=st.integers(0, 30), cap=st.integers(1, 20))
def test_the_contact_cap_allows_exactly_cap_contacts_r15(done: int, cap: int) -> None:
    if done >= cap:
        with pytest.raises(Conflict) as refused:
            rules.check_contact_cap(done, cap)
        assert refused.value.code == "contact_cap_reached"
    else:
        rules.check_contact_cap(done, cap)


def test_tags_come_from_the_list_in_the_order_given_r12() -> None:
    assert rules.check_tags(["b", "a", "b"], ["a", "b"]) == ("b", "a")
    with pytest.raises(rules.UnknownTag):
        rules.check_tags(["a", "c"], ["a", "b"])


def test_a_profile_update_keeps_what_it_does_not_name_r11() -> None:
    current = {"basic": {"occupation": "teacher", "children": 1}, "legacy": "kept"}
    merged = rules.merged_profile(current, {"basic": {"children": 2}, "needs": {"purpose": "upgrade"}})
    assert merged == {
        "basic": {"occupation": "teacher", "children": 2},
        "needs": {"purpose": "upgrade"},
        "legacy": "kept",
    }
    with pytest.raises(InvalidInput):
        rules.merged_profile({}, {"needs": {"area_m2_min": "120", "area_m2_max": "90"}})


def test_a_lost_customer_has_a_reason_from_the_list_r17() -> None:
    for reason in rules.LOSS_REASONS:
        rules.check_loss(reason)
    with pytest.raises(InvalidInput):
        rules.check_loss("bad_luck")
