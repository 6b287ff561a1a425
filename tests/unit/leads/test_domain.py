"""Leads rules, one group per rule: phones (R4, R6), key visitors (R5), visibility (R8), assignment (R9),
protection and credit (R10), cadence (R12, R13), follow-ups (R14, R16), privacy (R18), calls (R1)."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from services.leads.domain import (
    CADENCE,
    CHANNELS,
    VISITOR_TYPES,
    Grade,
    InvalidInput,
    InvalidPhone,
    Touch,
    check_assignment,
    check_call,
    check_followup,
    check_registration,
    credited_consultant,
    decide_registration,
    followup_due,
    is_key_visitor,
    is_overdue,
    is_protected,
    mask_phone,
    may_see,
    normalise_phone,
    protected_until,
    resident_for_handoff,
    rings_of,
    sees_all,
    standing_at,
)
from shared.http.auth import ROLES

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))
staff = st.sampled_from(["c-1", "c-2", "c-3"])


# -- R4, R6: one phone, one form --------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138-1234-5678",
        "0086 13812345678",
        "86 13812345678",
        "１３８１２３４５６７８",
        " 13812345678 ",
    ],
)
def test_chinese_mobiles_normalise_to_one_form_r4(raw: str) -> None:
    assert normalise_phone(raw) == "+8613812345678"


@pytest.mark.parametrize(
    "raw, e164",
    [
        ("010-12345678", "+861012345678"),
        ("(010) 1234 5678", "+861012345678"),
        ("021 6123 4567", "+862161234567"),
        ("+852 9123 4567", "+85291234567"),
        ("+1 650 253 0000", "+16502530000"),
    ],
)
def test_landlines_and_foreign_numbers_keep_their_own_form(raw: str, e164: str) -> None:
    assert normalise_phone(raw) == e164


@pytest.mark.parametrize("raw", ["12345", "abc", "1381234567", "", "+86", "11111111111", "1234567890123456789"])
def test_bad_phones_are_refused_with_invalid_phone(raw: str) -> None:
    with pytest.raises(InvalidPhone) as caught:
        normalise_phone(raw)
    assert caught.value.code == "invalid_phone"


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_every_valid_mobile_has_one_e164_form_and_masks_to_3_stars_4(mobile: str) -> None:
    try:
        e164 = normalise_phone(mobile)
    except InvalidPhone:
        return  # not every prefix is allocated
    assert e164 == "+86" + mobile == normalise_phone(f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}")
    assert mask_phone(e164) == f"{mobile[:3]}****{mobile[-4:]}"


# -- R5, R6: registration ---------------------------------------------------------------------------


def test_a_description_without_a_phone_is_enough_r6() -> None:
    check_registration("lady in the red coat", "customer", None)
    for name in ("", "   "):
        with pytest.raises(InvalidInput) as caught:
            check_registration(name, "customer", None)
        assert caught.value.code == "name_required"


def test_visitor_type_and_grade_are_checked_r5_r12() -> None:
    for visitor in VISITOR_TYPES:
        check_registration("x", visitor, None)
    with pytest.raises(InvalidInput):
        check_registration("x", "vip", None)
    for grade in ("A", "B", "C", None):
        check_registration("x", "customer", grade)
    with pytest.raises(InvalidInput) as caught:
        check_registration("x", "customer", "D")
    assert caught.value.code == "invalid_grade"


def test_staff_and_peers_are_key_visitors_not_leads_r5() -> None:
    assert is_key_visitor("developer_staff") and is_key_visitor("competitor_peer")
    assert not is_key_visitor("customer")


# -- R8: who sees whom -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_only_the_owner_and_managers_see_a_customer_r8(role: str) -> None:
    assert may_see("c-1", "c-1", role)  # one's own
    assert may_see("c-1", "c-2", role) == (role in ("manager", "admin", "group_manager")) == sees_all(role)


# -- R9: the manager's decision --------------------------------------------------------------------


def test_an_assignment_names_the_consultant_and_the_reason_r9() -> None:
    check_assignment("c-1", "c-2", "c-2 first received them (visit register)")
    for to, reason, code in (("", "x", "consultant_required"), ("c-2", " ", "reason_required")):
        with pytest.raises(InvalidInput) as caught:
            check_assignment("c-1", to, reason)
        assert caught.value.code == code


# -- R10: protection, re-registration, credit -------------------------------------------------------


@given(
    last=moments, days=st.integers(1, 365), delta=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400))
)
def test_protection_lasts_exactly_the_period_after_the_last_touch_r10(last, days, delta) -> None:
    until = protected_until(last, days)
    assert until - last == timedelta(days=days)
    assert is_protected(until, last + delta) == (delta <= timedelta(days=days))


@given(first=moments, gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)), days=st.integers(1, 90))
def test_a_followup_starts_a_new_period_r10(first, gap, days) -> None:
    touch = first + gap
    assert protected_until(touch, days) >= protected_until(first, days)
    assert is_protected(protected_until(touch, days), touch + timedelta(days=days))


@given(owner=staff, consultant=staff, until=moments, now=moments)
def test_a_known_phone_changes_owner_only_when_protection_lapsed_r4_r10(owner, consultant, until, now) -> None:
    decision = decide_registration(owner, until, consultant, now)
    passes = owner != consultant and now > until
    assert decision.outcome == ("transferred" if passes else "existing")
    assert decision.owner_id == (consultant if passes else owner)


@given(consultant=staff, now=moments)
def test_a_new_phone_belongs_to_who_registers_it_r4(consultant, now) -> None:
    assert decide_registration(None, None, consultant, now) == decide_registration(None, None, consultant, now)
    assert decide_registration(None, None, consultant, now).owner_id == consultant


@given(owner=staff, closer=st.none() | staff, until=moments, closed=moments)
def test_the_deal_credit_follows_protection_at_closing_r10(owner, closer, until, closed) -> None:
    credited, reason = credited_consultant(owner, until, closer, closed)
    if closed <= until:
        assert (credited, reason) == (owner, "owner_protected")
    elif closer is None:
        assert (credited, reason) == (owner, "owner_no_closer")
    else:
        assert credited == closer


@given(touches=st.lists(st.tuples(moments, staff), max_size=6), days=st.integers(1, 60), moment=moments)
def test_standing_at_a_moment_uses_only_the_touches_before_it_r10(touches, days, moment) -> None:
    history = [Touch(at, owner) for at, owner in touches]
    standing = standing_at(history, days, moment)
    past = [t for t in history if t.at <= moment]
    if not past:
        assert standing is None
        return
    owner, until = standing
    latest = max(t.at for t in past)
    assert until == latest + timedelta(days=days)
    assert owner in {t.owner for t in past if t.at == latest}
    later = standing_at(history + [Touch(moment + timedelta(seconds=1), "c-late")], days, moment)
    assert later == standing  # what happened after the moment does not reach back


def test_standing_examples_r10() -> None:
    history = [Touch(NOW, "c-a"), Touch(NOW + timedelta(days=10), "c-a"), Touch(NOW + timedelta(days=40), "c-b")]
    assert standing_at(history, 20, NOW + timedelta(days=25)) == ("c-a", NOW + timedelta(days=30))
    assert standing_at(history, 20, NOW + timedelta(days=35)) == ("c-a", NOW + timedelta(days=30))  # lapsed
    assert standing_at(history, 20, NOW + timedelta(days=41)) == ("c-b", NOW + timedelta(days=60))
    assert standing_at(history, 20, NOW - timedelta(seconds=1)) is None


def test_deal_credit_examples_r10() -> None:
    assert credited_consultant("owner", NOW + timedelta(days=1), "closer", NOW)[0] == "owner"
    assert credited_consultant("owner", NOW, "closer", NOW)[0] == "owner"  # the last instant still counts
    assert credited_consultant("owner", NOW - timedelta(days=1), "closer", NOW) == (
        "closer",
        "protection_lapsed_closer_credited",
    )
    assert credited_consultant("owner", NOW - timedelta(days=1), "owner", NOW) == ("owner", "owner_closed")


# -- R12, R13, R14: cadence ------------------------------------------------------------------------


def test_cadence_by_grade_r12_r13() -> None:
    assert followup_due(NOW, Grade.A) == NOW + timedelta(days=7)
    assert followup_due(NOW, Grade.B) == NOW + timedelta(days=14)
    assert followup_due(NOW, Grade.C) == NOW + timedelta(days=30)
    assert followup_due(NOW, None) is None


@given(
    last=moments,
    grade=st.sampled_from(list(Grade)) | st.none(),
    ahead=st.none() | st.timedeltas(min_value=timedelta(hours=1), max_value=timedelta(days=90)),
)
def test_due_is_the_agreed_contact_or_the_cadence_whichever_is_first_r13_r14(last, grade, ahead) -> None:
    agreed = last + ahead if ahead is not None else None
    due = followup_due(last, grade, agreed)
    options = [t for t in (agreed, last + CADENCE[grade] if grade else None) if t]
    assert due == (min(options) if options else None)
    assume(due is not None)
    assert not is_overdue(due, due) and is_overdue(due, due + timedelta(seconds=1))


def test_a_grade_moving_a_to_b_moves_the_due_date_later_r13() -> None:
    assert followup_due(NOW, Grade.B) - followup_due(NOW, Grade.A) == timedelta(days=7)
    assert not is_overdue(None, NOW)


def test_followups_need_a_known_channel_content_and_a_later_next_contact_r8_r14_r16() -> None:
    for channel in CHANNELS:
        check_followup(channel, "asked about schools", NOW + timedelta(days=2), NOW)
    cases = (
        ("fax", "x", NOW + timedelta(1), "invalid_channel"),
        ("phone", " ", NOW + timedelta(1), "content_required"),
        ("phone", "x", NOW, "next_contact_in_past"),
        ("phone", "x", datetime(2027, 1, 1), "invalid_request"),
    )
    for channel, content, when, code in cases:
        with pytest.raises(InvalidInput) as caught:
            check_followup(channel, content, when, NOW)
        assert caught.value.code == code


# -- R18: privacy ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "e164, masked", [("+8613812345678", "138****5678"), ("+861012345678", "10******78"), ("+85291234567", "91****67")]
)
def test_masks_hide_at_least_four_digits_r18(e164: str, masked: str) -> None:
    assert mask_phone(e164) == masked and masked.count("*") >= 4


@pytest.mark.parametrize(
    "consent, phone, shared",
    [(True, "+8613812345678", True), (False, "+8613812345678", False), (True, None, False), (False, None, False)],
)
def test_the_handoff_carries_the_phone_only_with_consent_r18_r32(consent, phone, shared) -> None:
    resident = resident_for_handoff("Li Lei", phone, consent)
    assert resident["name"] == "Li Lei" and ("phone" in resident) is shared
    assert set(resident) <= {"name", "phone"}


# -- R1: rings --------------------------------------------------------------------------------------


def test_rings_r1() -> None:
    assert [rings_of(s) for s in (0, 4.9, 5, 14.9, 15)] == [1, 1, 2, 3, 4]


@given(st.floats(min_value=0, max_value=600))
def test_within_three_rings_means_under_fifteen_seconds_r1(seconds: float) -> None:
    assert (rings_of(seconds) <= 3) == (seconds < 15)


def test_a_call_needs_offsets_and_order_r1() -> None:
    check_call(NOW, NOW + timedelta(seconds=3))
    check_call(NOW, None)
    for rang, answered in (
        (datetime(2026, 1, 1), None),
        (NOW, NOW - timedelta(seconds=1)),
        (NOW, datetime(2027, 1, 1)),
    ):
        with pytest.raises(InvalidInput):
            check_call(rang, answered)
