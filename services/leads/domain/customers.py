"""Leads: customers, ownership and protection (R4–R14, R18). Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum

import phonenumbers

from shared.kernel.errors import InvalidInput, refusal

__all__ = [
    "CADENCE",
    "CHANNELS",
    "CUSTOMER",
    "Grade",
    "InvalidPhone",
    "KEY_VISITOR_TYPES",
    "RING_SECONDS",
    "RING_TARGET",
    "Registration",
    "SEE_ALL_ROLES",
    "Touch",
    "VISITOR_TYPES",
    "check_assignment",
    "check_call",
    "check_followup",
    "check_registration",
    "credited_consultant",
    "decide_registration",
    "due_for",
    "followup_due",
    "is_key_visitor",
    "is_overdue",
    "is_protected",
    "mask_phone",
    "may_see",
    "normalise_phone",
    "protected_until",
    "resident_for_handoff",
    "rings_of",
    "sees_all",
    "standing_at",
]

InvalidPhone = refusal("InvalidPhone", "invalid_phone", "R4: a phone number that cannot be normalised (CN).")


class Grade(str, Enum):
    """R12: A decides within 30 days, B in 3–6 months, C long-term."""

    A = "A"
    B = "B"
    C = "C"


# R13: follow-up cadence by grade — A 1–2 times a week, B every two weeks, C monthly.
CADENCE = {Grade.A: timedelta(days=7), Grade.B: timedelta(days=14), Grade.C: timedelta(days=30)}
CHANNELS = frozenset({"phone", "wechat", "visit", "event"})  # R16: 电话, 微信, 到访, 活动邀约
CUSTOMER = "customer"
KEY_VISITOR_TYPES = frozenset({"developer_staff", "competitor_peer"})  # R5: 重点来访 (staff, peers), not leads
VISITOR_TYPES = frozenset({CUSTOMER}) | KEY_VISITOR_TYPES
SEE_ALL_ROLES = frozenset({"manager", "admin", "group_manager"})  # R8: the manager (专案经理) sees every customer
RING_SECONDS = 5  # one ring cycle: about 1 s of tone and 4 s of pause
RING_TARGET = 3  # R1: answered within three rings


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
    """138****5678: enough to recognise, not enough to call (R18); shorter numbers keep less, never 4 stars fewer."""
    national = str(phonenumbers.parse(e164, None).national_number)
    head, tail = (3, 4) if len(national) >= 11 else (2, 2) if len(national) >= 8 else (1, 1)
    return national[:head] + "*" * (len(national) - head - tail) + national[-tail:]


def check_registration(name: str, visitor_type: str, grade: str | None) -> None:
    """R5, R6: a name or a description is all that is required; the phone is optional."""
    if not name.strip():
        raise InvalidInput("a name or a description of the visitor is required (R6)", "name_required")
    if visitor_type not in VISITOR_TYPES:
        raise InvalidInput(f"visitor_type must be one of {', '.join(sorted(VISITOR_TYPES))}", "invalid_visitor_type")
    if grade is not None and grade not in Grade.__members__:
        raise InvalidInput("grade must be A, B or C", "invalid_grade")


def is_key_visitor(visitor_type: str) -> bool:
    """R5: developer staff and competitors' peers are flagged, not counted as ordinary leads."""
    return visitor_type in KEY_VISITOR_TYPES


def sees_all(viewer_role: str) -> bool:
    """R8: the manager (and an admin) sees every customer of their projects."""
    return viewer_role in SEE_ALL_ROLES


def may_see(owner_id: str, viewer_id: str, viewer_role: str) -> bool:
    """R8: a consultant sees only their own customers; the manager all of their projects'."""
    return owner_id == viewer_id or sees_all(viewer_role)


def protected_until(last_touch: datetime, protection_days: int) -> datetime:
    """R10: protected until the last touch plus the protection period (跟踪期)."""
    return last_touch + timedelta(days=protection_days)


def is_protected(until: datetime, now: datetime) -> bool:
    """R10: the last instant of the period still counts as protected."""
    return now <= until


def followup_due(last_touch: datetime, grade: Grade | None, next_contact: datetime | None = None) -> datetime | None:
    """R13, R14: the next follow-up is due at the agreed next contact or when the grade's cadence runs out,
    whichever comes first (None when neither is known)."""
    # in UTC: a cadence is elapsed time, and an aware local time plus days is wall-clock arithmetic across DST
    by_cadence = last_touch.astimezone(UTC) + CADENCE[grade] if grade else None
    candidates = [t for t in (next_contact, by_cadence) if t is not None]
    return min(candidates) if candidates else None


def due_for(last_touch: datetime, grade: str | None, next_contact: datetime | None) -> datetime | None:
    """`followup_due` of a stored customer, whose grade is kept as its code (or none)."""
    return followup_due(last_touch, Grade(grade) if grade else None, next_contact)


def is_overdue(due: datetime | None, now: datetime) -> bool:
    """R13: a follow-up that is due and not done is overdue."""
    return due is not None and due < now


@dataclass(frozen=True)
class Registration:
    """What happens when a consultant registers a phone that may exist already (R4, R10)."""

    outcome: str  # new | existing | transferred
    owner_id: str


def decide_registration(
    existing_owner: str | None, until: datetime | None, consultant: str, now: datetime
) -> Registration:
    """A new phone is the registering consultant's; a protected one stays; a lapsed one passes over."""
    if existing_owner is None or until is None:
        return Registration("new", consultant)
    if existing_owner == consultant or is_protected(until, now):
        return Registration("existing", existing_owner)
    return Registration("transferred", consultant)


@dataclass(frozen=True)
class Touch:
    """One contact that starts a protection period (R10): registration, follow-up or change of owner."""

    at: datetime
    owner: str  # who owned the customer from this touch on


def standing_at(touches: list[Touch], protection_days: int, moment: datetime) -> tuple[str, datetime] | None:
    """R10: who owned the customer at `moment` and until when they were protected, judged only from the touches
    before it (a follow-up recorded after a deal closed does not reach back). None before the first touch."""
    past = [t for t in touches if t.at <= moment]
    if not past:
        return None
    last = max(past, key=lambda t: t.at)
    return last.owner, protected_until(last.at, protection_days)


def credited_consultant(
    owner: str, owner_protected_until: datetime, closer: str | None, closed_at: datetime
) -> tuple[str, str]:
    """R10: the owner keeps the credit while protected; after it lapses the consultant who closed gets it."""
    if is_protected(owner_protected_until, closed_at):
        return owner, "owner_protected"
    if not closer:
        return owner, "owner_no_closer"
    return closer, "protection_lapsed_closer_credited" if closer != owner else "owner_closed"


def check_assignment(current_owner: str, to: str, reason: str) -> None:
    """R9: the manager's decision on a disputed customer names the consultant and the reason (业务交叉)."""
    if not to.strip():
        raise InvalidInput("consultant_id is required (R9)", "consultant_required")
    if not reason.strip():
        raise InvalidInput("the decision needs its reason (R9)", "reason_required")


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


def resident_for_handoff(name: str, phone: str | None, consent_share: bool) -> dict[str, str]:
    """R18, R32: the property company gets the resident's name; the phone only with their consent."""
    resident = {"name": name}
    if consent_share and phone:
        resident["phone"] = phone
    return resident


def rings_of(ring_seconds: float) -> int:
    """R1: answered in the first ring cycle is one ring, in the second two, and so on."""
    return max(1, int(ring_seconds // RING_SECONDS) + 1)


def check_call(rang_at: datetime, answered_at: datetime | None) -> None:
    """R1: the log keeps ring-to-answer time, so both ends need offsets and must be in order."""
    if rang_at.tzinfo is None or (answered_at is not None and answered_at.tzinfo is None):
        raise InvalidInput("rang_at and answered_at need a time zone offset")
    if answered_at is not None and answered_at < rang_at:
        raise InvalidInput("answered_at cannot precede rang_at")
