"""Who may be rewarded for a referral (R34 with R5), exhaustively: an owner who brings someone else. A referrer who
owns no flat of the project, a key visitor on either side, or the same person on both sides, is recorded and never
rewarded."""

from __future__ import annotations

import itertools
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.leads.domain import (
    KEY_VISITOR,
    KEY_VISITOR_TYPES,
    NEVER_REWARDED,
    NOT_AN_OWNER,
    REGISTERED,
    REWARDED,
    SELF_REFERRAL,
    VISITOR_TYPES,
    Party,
    name_key,
    owner_referral_status,
    referral_status,
    status_at_contract,
)

PHONE_A, PHONE_B = b"hash-of-a", b"hash-of-b"


def _party(
    visitor_type: str = "customer", phone: bytes | None = PHONE_A, name: str = "Li Lei", owner: bool = True
) -> Party:
    """One side of a referral; an owner unless told otherwise (the referred side's ownership does not matter)."""
    return Party(customer_id=uuid.uuid4(), visitor_type=visitor_type, phone_hash=phone, name=name, owner=owner)


def test_only_an_owner_is_rewarded_for_a_referral_r34() -> None:
    """A customer of the project who owns no flat of it (none handed over) is recorded as `not_an_owner`."""
    buyer = _party(phone=PHONE_B, name="Han Meimei", owner=False)
    assert referral_status(_party(owner=False), buyer) == NOT_AN_OWNER
    assert referral_status(_party(owner=True), buyer) == REGISTERED
    assert status_at_contract(NOT_AN_OWNER, "customer", "customer") == NOT_AN_OWNER  # never rewarded later
    assert referral_status(_party(owner=False, visitor_type="developer_staff"), buyer) == KEY_VISITOR


@pytest.mark.parametrize(
    ("referrer_type", "referred_type"), list(itertools.product(sorted(VISITOR_TYPES), sorted(VISITOR_TYPES)))
)
def test_a_key_visitor_on_either_side_is_no_referral_r34_r5(referrer_type: str, referred_type: str) -> None:
    referrer, referred = _party(referrer_type, PHONE_A), _party(referred_type, PHONE_B)
    expected = KEY_VISITOR if {referrer_type, referred_type} & KEY_VISITOR_TYPES else REGISTERED
    assert referral_status(referrer, referred) == expected


# (referrer's phone, referred's phone, same name?) → the same person may be on both sides
IDENTITIES = {
    (PHONE_A, PHONE_A, True): True,
    (PHONE_A, PHONE_A, False): True,  # one phone is one person, whatever names they gave
    (PHONE_A, PHONE_B, True): False,  # namesakes with their own phones are two people (the existing test's Li Leis)
    (PHONE_A, PHONE_B, False): False,
    (PHONE_A, None, True): True,  # nothing tells a phoneless namesake apart from the referrer
    (PHONE_A, None, False): False,
    (None, PHONE_B, True): True,
    (None, PHONE_B, False): False,
    (None, None, True): True,  # the same visitor registered twice without a phone, "referred by" themself
    (None, None, False): False,
}


@pytest.mark.parametrize(("phones_and_name", "same"), IDENTITIES.items())
@pytest.mark.parametrize("referred_type", sorted(VISITOR_TYPES))
def test_the_same_person_on_both_sides_is_a_self_referral_r34(
    phones_and_name: tuple[bytes | None, bytes | None, bool], same: bool, referred_type: str
) -> None:
    referrer_phone, referred_phone, same_name = phones_and_name
    referrer = _party(phone=referrer_phone, name="Wang Wei")
    referred = _party(referred_type, referred_phone, "Wang Wei" if same_name else "Zhang San")
    expected = SELF_REFERRAL if same else KEY_VISITOR if referred_type in KEY_VISITOR_TYPES else REGISTERED
    assert referral_status(referrer, referred) == expected


def test_one_customer_never_refers_themself_r34() -> None:
    me = _party()
    assert referral_status(me, me) == SELF_REFERRAL


@pytest.mark.parametrize("other", ["wang wei", " Wang  Wei ", "WANG\u3000WEI", "Ｗａｎｇ Ｗｅｉ"])
def test_a_name_is_compared_without_case_spacing_or_width_r34(other: str) -> None:
    assert name_key(other) == name_key("Wang Wei")
    assert referral_status(_party(phone=None, name="Wang Wei"), _party(phone=None, name=other)) == SELF_REFERRAL


def test_different_phoneless_people_may_refer_each_other_r34_r6() -> None:
    assert referral_status(_party(phone=None, name="王伟"), _party(phone=None, name="王芳")) == REGISTERED


def test_a_phone_that_owns_no_home_in_the_group_is_never_rewarded_r34() -> None:
    """v1.2: referred by phone, the referrer must be an owner; the owner found is then judged as any referrer."""
    new = _party(phone=PHONE_B)
    assert owner_referral_status(None, new) == NOT_AN_OWNER and NOT_AN_OWNER in NEVER_REWARDED
    assert owner_referral_status(_party(phone=PHONE_A), new) == REGISTERED
    assert owner_referral_status(_party(phone=PHONE_B), new) == SELF_REFERRAL
    assert owner_referral_status(_party("developer_staff", PHONE_A), new) == KEY_VISITOR


@pytest.mark.parametrize(
    ("status", "referrer_type", "referred_type"),
    list(
        itertools.product(
            [REGISTERED, REWARDED, KEY_VISITOR, SELF_REFERRAL, NOT_AN_OWNER],
            sorted(VISITOR_TYPES),
            sorted(VISITOR_TYPES),
        )
    ),
)
def test_at_the_contract_only_a_registered_referral_between_customers_is_rewarded_r34_r5(
    status: str, referrer_type: str, referred_type: str
) -> None:
    """A side that became a key visitor since the registration (R5, `PATCH`) stops the reward; nothing else
    changes a referral that is not `registered` (no reward twice, none for a self-referral)."""
    after = status_at_contract(status, referrer_type, referred_type)
    if status != REGISTERED:
        assert after == status
    else:
        assert after == (KEY_VISITOR if {referrer_type, referred_type} & KEY_VISITOR_TYPES else REWARDED)


@given(
    st.sampled_from(sorted(VISITOR_TYPES)),
    st.sampled_from(sorted(VISITOR_TYPES)),
    st.one_of(st.none(), st.binary(min_size=1, max_size=4)),
    st.one_of(st.none(), st.binary(min_size=1, max_size=4)),
    st.text(min_size=1, max_size=6),
    st.text(min_size=1, max_size=6),
)
def test_a_referral_is_registered_only_between_two_distinguishable_customers_r34_r5(
    referrer_type: str, referred_type: str, phone_a: bytes | None, phone_b: bytes | None, name_a: str, name_b: str
) -> None:
    referrer, referred = _party(referrer_type, phone_a, name_a), _party(referred_type, phone_b, name_b)
    if referral_status(referrer, referred) == REGISTERED:
        assert referrer_type == referred_type == "customer"
        assert phone_a != phone_b or phone_a is None
        assert (phone_a is not None and phone_b is not None) or name_key(name_a) != name_key(name_b)
