"""Leads rules: phones (R4, R6), protection (R10), registration ownership, credit, cadence (R12, R13), privacy (R18)."""

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.leads.domain import (
    Grade, InvalidInput, InvalidPhone, check_followup, credited_consultant, decide_registration, followup_due,
    is_protected, mask_phone, normalise_phone, protected_until, rings_of,
)
from services.leads.pii import Vault

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw", ["13812345678", "138 1234 5678", "+86 138-1234-5678", "0086 13812345678"])
def test_chinese_mobiles_normalise_to_one_form(raw: str) -> None:
    assert normalise_phone(raw) == "+8613812345678"


@pytest.mark.parametrize("raw", ["12345", "abc", "1381234567", ""])
def test_bad_phones_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalise_phone(raw)


def test_masking_r18() -> None:
    assert mask_phone("+8613812345678") == "138****5678"


@given(last=st.datetimes(timezones=st.just(timezone.utc)), days=st.integers(1, 365),
       delta=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)))
def test_protection_lasts_exactly_the_period_after_the_last_touch_r10(last, days, delta) -> None:
    try:
        until = protected_until(last, days)
        probe = last + delta
    except OverflowError:
        return
    assert is_protected(until, probe) == (delta <= timedelta(days=days))


def test_registration_decisions_r4_r10() -> None:
    assert decide_registration(None, None, "c1", NOW).outcome == "new"
    later = NOW + timedelta(days=5)
    assert decide_registration("c1", later, "c2", NOW).owner_id == "c1"  # protected: stays
    lapsed = NOW - timedelta(seconds=1)
    decision = decide_registration("c1", lapsed, "c2", NOW)
    assert (decision.outcome, decision.owner_id) == ("transferred", "c2")
    assert decide_registration("c1", lapsed, "c1", NOW).outcome == "existing"


def test_deal_credit_r10() -> None:
    assert credited_consultant("owner", NOW + timedelta(days=1), "closer", NOW)[0] == "owner"
    assert credited_consultant("owner", NOW - timedelta(days=1), "closer", NOW) == (
        "closer", "protection_lapsed_closer_credited")
    assert credited_consultant("owner", NOW - timedelta(days=1), None, NOW)[0] == "owner"


def test_cadence_by_grade_r12_r13() -> None:
    assert followup_due(NOW, Grade.A) == NOW + timedelta(days=7)
    assert followup_due(NOW, Grade.B) == NOW + timedelta(days=14)
    assert followup_due(NOW, Grade.C) == NOW + timedelta(days=30)
    assert followup_due(NOW, None) is None


def test_followups_need_a_channel_content_and_a_later_next_contact_r8_r14() -> None:
    check_followup("wechat", "asked about schools", NOW + timedelta(days=2), NOW)
    for args in (("fax", "x", NOW + timedelta(1)), ("phone", " ", NOW + timedelta(1)), ("phone", "x", NOW)):
        with pytest.raises(InvalidInput):
            check_followup(*args, NOW)


def test_rings_r1() -> None:
    assert [rings_of(s) for s in (0, 4.9, 5, 14.9, 15)] == [1, 1, 2, 3, 4]


def test_vault_encrypts_and_hashes_with_keys() -> None:
    vault = Vault("k1")
    token = vault.encrypt("+8613812345678")
    assert b"13812345678" not in token and vault.decrypt(token) == "+8613812345678"
    assert vault.phone_hash("+8613812345678") == Vault("k1").phone_hash("+8613812345678")
    assert vault.phone_hash("+8613812345678") != Vault("k2").phone_hash("+8613812345678")
