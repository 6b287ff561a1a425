"""Leads: customers, ownership and protection (R4–R14, R18). Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

import phonenumbers

from shared.domain import DomainError  # noqa: F401  (re-exported for this service)


class InvalidPhone(DomainError):
    code = "invalid_phone"


class InvalidInput(DomainError):
    code = "invalid_request"


class Grade(str, Enum):
    """R12: A decides within 30 days, B in 3–6 months, C long-term."""

    A = "A"
    B = "B"
    C = "C"


# R13: follow-up cadence by grade — A 1–2 times a week, B every two weeks, C monthly.
CADENCE = {Grade.A: timedelta(days=7), Grade.B: timedelta(days=14), Grade.C: timedelta(days=30)}
CHANNELS = frozenset({"phone", "wechat", "visit", "event"})  # R16
VISITOR_TYPES = frozenset({"customer", "developer_staff", "competitor_peer"})  # R5: the last two are key visitors


def normalise_phone(raw: str) -> str:
    """E.164 form of a Chinese (or international, with +) number; InvalidPhone otherwise."""
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {raw!r}") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """138****5678: enough to recognise, not enough to call (R18)."""
    national = str(phonenumbers.parse(e164, None).national_number)
    if len(national) <= 7:
        return national[:2] + "*" * (len(national) - 4) + national[-2:]
    return national[:3] + "*" * (len(national) - 7) + national[-4:]


def protected_until(last_touch: datetime, protection_days: int) -> datetime:
    """R10: protected until the last touch plus the protection period."""
    return last_touch + timedelta(days=protection_days)


def is_protected(until: datetime, now: datetime) -> bool:
    return now <= until


def followup_due(last_touch: datetime, grade: Grade | None) -> datetime | None:
    """R13: when the next follow-up is due by the customer's grade (None without a grade)."""
    return last_touch + CADENCE[grade] if grade else None


@dataclass(frozen=True)
class Registration:
    """What happens when a consultant registers a phone that may exist already (R4, R10)."""

    outcome: str  # new | existing | transferred
    owner_id: str


def decide_registration(existing_owner: str | None, until: datetime | None, consultant: str,
                        now: datetime) -> Registration:
    """A new phone is the registering consultant's; a protected one stays; a lapsed one passes over."""
    if existing_owner is None or until is None:
        return Registration("new", consultant)
    if existing_owner == consultant or is_protected(until, now):
        return Registration("existing", existing_owner)
    return Registration("transferred", consultant)


def credited_consultant(owner: str, owner_protected_until: datetime, closer: str | None,
                        closed_at: datetime) -> tuple[str, str]:
    """R10: the owner keeps the credit while protected; after it lapses the consultant who closed gets it."""
    if is_protected(owner_protected_until, closed_at) or not closer:
        return owner, "owner_protected" if is_protected(owner_protected_until, closed_at) else "owner_no_closer"
    return closer, "protection_lapsed_closer_credited" if closer != owner else "owner_closed"


def check_followup(channel: str, content: str, next_contact_at: datetime, now: datetime) -> None:
    """R8, R14, R16: a follow-up names its channel, says what was said and agrees the next contact."""
    if channel not in CHANNELS:
        raise InvalidInput(f"channel must be one of {', '.join(sorted(CHANNELS))}", "invalid_channel")
    if not content.strip():
        raise InvalidInput("content is required", "content_required")
    if next_contact_at.tzinfo is None:
        raise InvalidInput("next_contact_at needs a time zone offset")
    if next_contact_at <= now:
        raise InvalidInput("the next contact must be agreed for a later time (R14)", "next_contact_in_past")


def rings_of(ring_seconds: float) -> int:
    """A ring cycle is about 5 s (1 s tone, 4 s pause); answered in the first cycle is one ring."""
    return max(1, int(ring_seconds // 5) + 1)
