"""Referrals (R34, 老带新) and who may earn their reward. Pure: no I/O.

A referral links a new customer to the customer of the project who brought them; both are rewarded when the
referred buyer's contract is signed — if the referrer is an owner (业主: a customer of the project whose flat was
handed over) when the buyer is registered. Three kinds are recorded (the manager sees them in the list) but never
rewarded, whatever happens later:
- `not_an_owner` (issue 24): the referrer has no flat of the project handed over;
- `key_visitor` (R5): developer staff or a competitor's agent on either side — they are not leads, so not the
  owner who brings a buyer, nor the new buyer;
- `self_referral`: the same person on both sides — the same customer, the same phone, or a registration without
  a phone under the referrer's own name (R6 allows phoneless registrations, so nothing tells such a namesake
  apart from the referrer; a reward is not given on a guess);
- `not_an_owner` (v1.2): a referrer named by phone who owns no home in the group's projects (R34 rewards "an
  owner who refers a new buyer"): an owner is a customer whose unit was handed over, judged when the referral is
  made."""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass

from services.leads.domain.customers import is_key_visitor

__all__ = [
    "KEY_VISITOR",
    "NEVER_REWARDED",
    "NOT_AN_OWNER",
    "REGISTERED",
    "REWARDED",
    "SELF_REFERRAL",
    "Party",
    "name_key",
    "owner_referral_status",
    "referral_status",
    "same_person",
    "status_at_contract",
]

REGISTERED = "registered"  # waiting for the referred buyer's contract
REWARDED = "rewarded"
KEY_VISITOR = "key_visitor"
SELF_REFERRAL = "self_referral"
NOT_AN_OWNER = "not_an_owner"
NEVER_REWARDED = frozenset({KEY_VISITOR, SELF_REFERRAL, NOT_AN_OWNER})


@dataclass(frozen=True)
class Party:
    """One side of a referral as leads knows it: the customer, their visitor type, phone hash and name, and whether
    they own a flat of the project (one was handed over to them)."""

    customer_id: uuid.UUID
    visitor_type: str
    phone_hash: bytes | None
    name: str
    owner: bool = False


def name_key(name: str) -> str:
    """A name as compared: full-width folded (NFKC), case-blind, without any spacing."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def same_person(a: Party, b: Party) -> bool:
    """Whether two registrations may be one person: one customer, one phone, or — when a side has no phone to
    tell them apart — one name. Two phones that differ are two people, namesakes or not."""
    if a.customer_id == b.customer_id:
        return True
    if a.phone_hash is not None and b.phone_hash is not None:
        return a.phone_hash == b.phone_hash
    return name_key(a.name) == name_key(b.name)


def referral_status(referrer: Party, referred: Party) -> str:
    """R34 with R5, at registration: `registered` (rewarded when the referred buyer signs), else why it never
    will be: `self_referral`, `key_visitor`, or `not_an_owner` (only an owner is rewarded for a referral)."""
    if same_person(referrer, referred):
        return SELF_REFERRAL
    if is_key_visitor(referrer.visitor_type) or is_key_visitor(referred.visitor_type):
        return KEY_VISITOR
    return REGISTERED if referrer.owner else NOT_AN_OWNER


def owner_referral_status(owner: Party | None, referred: Party) -> str:
    """R34 by the referrer's phone (v1.2): `not_an_owner` when the phone is no owner's in the group, else what
    `referral_status` says of the owner and the new customer."""
    return NOT_AN_OWNER if owner is None else referral_status(owner, referred)


def status_at_contract(status: str, referrer_type: str, referred_type: str) -> str:
    """R34 at the referred buyer's contract: a `registered` referral is `rewarded`, unless a side has been
    retyped a key visitor since (R5); any other status stays as it is (no second reward, none for the rest)."""
    if status != REGISTERED:
        return status
    return KEY_VISITOR if is_key_visitor(referrer_type) or is_key_visitor(referred_type) else REWARDED
