"""The customer follow-up standard a sales manager runs consultants by (R11, R12, R15, R17). Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from shared.kernel.errors import Conflict, InvalidInput, refusal
from shared.kernel.quiet_hours import is_quiet

__all__ = [
    "LOSS_REASONS",
    "PROFILE_SECTIONS",
    "QuietHours",
    "UnknownTag",
    "check_callback",
    "check_claim",
    "check_contact_cap",
    "check_decision",
    "check_loss",
    "check_next_contact",
    "check_not_quiet",
    "check_tags",
    "day_span",
    "local_day",
    "local_day_span",
    "merged_profile",
]

UnknownTag = refusal("UnknownTag", "unknown_tag", "R12: a tag that is not on the project's tag list.")
QuietHours = refusal("QuietHours", "quiet_hours", "R15: no contact is planned inside the project's quiet hours.")

# R17: why a customer was lost (流失原因), the fixed list the weekly review counts.
LOSS_REASONS = frozenset({"price", "location", "layout", "competitor", "financing", "timing", "other"})
PROFILE_SECTIONS = ("basic", "needs", "purchasing_power")  # R11: 基本信息, 购房需求, 购买力


def check_tags(tags: Iterable[str], allowed: Iterable[str]) -> tuple[str, ...]:
    """R12: tags come from the project's list; duplicates fold, order is kept."""
    wanted, known = tuple(dict.fromkeys(tags)), set(allowed)
    unknown = [tag for tag in wanted if tag not in known]
    if unknown:
        raise UnknownTag(f"not on the project's tag list: {', '.join(unknown)} (known: {', '.join(sorted(known))})")
    return wanted


def merged_profile(current: dict[str, Any], changes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """R11: a profile update changes the fields it names in each section and keeps the rest."""
    profile = {name: dict(value) for name, value in current.items() if isinstance(value, dict)}
    profile |= {name: value for name, value in current.items() if not isinstance(value, dict)}
    for section, fields in changes.items():
        if isinstance(fields, dict):  # a section sent as null changes nothing
            profile[section] = {**profile.get(section, {}), **fields}
    _check_ranges(profile)
    return profile


def _check_ranges(profile: dict[str, Any]) -> None:
    needs, power = profile.get("needs") or {}, profile.get("purchasing_power") or {}
    for low, high, what in ((needs, needs, "area_m2"), (power, power, "budget")):
        least, most = low.get(f"{what}_min"), high.get(f"{what}_max")
        if least is not None and most is not None and Decimal(str(least)) > Decimal(str(most)):
            raise InvalidInput(f"{what}_min is above {what}_max", "invalid_profile")


def check_loss(reason: str) -> None:
    """R17: a customer is closed as lost with one reason from the fixed list."""
    if reason not in LOSS_REASONS:
        raise InvalidInput(f"reason must be one of {', '.join(sorted(LOSS_REASONS))}", "invalid_reason")


def local_day(moment: datetime, timezone: str) -> date:
    """The project's calendar day a moment falls on."""
    return moment.astimezone(ZoneInfo(timezone)).date()


def day_span(day: date, timezone: str) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of `day` in the project's time zone (23 or 25 hours across DST)."""
    zone = ZoneInfo(timezone)
    return datetime.combine(day, time(0), zone), datetime.combine(day + timedelta(days=1), time(0), zone)


def local_day_span(moment: datetime, timezone: str) -> tuple[datetime, datetime]:
    """[local midnight, next local midnight) of the project's day a moment falls on."""
    return day_span(local_day(moment, timezone), timezone)


def check_contact_cap(contacts_today: int, cap: int) -> None:
    """R15: at most `cap` contacts with one customer on one local day (default one)."""
    if contacts_today >= cap:
        raise Conflict(
            f"already contacted {contacts_today} time(s) today; the limit is {cap} (R15)", "contact_cap_reached"
        )


def check_not_quiet(moment: datetime, timezone: str, quiet: str, what: str) -> None:
    """R15: a next contact or call-back is not planned inside quiet hours."""
    if is_quiet(moment, timezone, quiet):
        raise QuietHours(f"{what} falls in the project's quiet hours ({quiet}, {timezone})")


def check_next_contact(moment: datetime, now: datetime, timezone: str, quiet: str) -> None:
    """R14 with R15: an agreed next contact (at registration, or after a call) is later than now and out of the
    project's quiet hours."""
    if moment <= now:
        raise InvalidInput("the next contact must be agreed for a later time (R14)", "next_contact_in_past")
    check_not_quiet(moment, timezone, quiet, "next_contact_at")


def check_claim(claimant: str, owner: str, reason: str) -> None:
    """R9: a consultant claims a customer someone else owns, and says why."""
    if claimant == owner:
        raise Conflict("you own this customer already", "already_owner")
    if not reason.strip():
        raise InvalidInput("a claim gives its reason", "reason_required")


def check_decision(winner: str, sides: tuple[str, str], status: str, reason: str) -> None:
    """R9: the manager decides an open claim for one of its two sides, with a reason."""
    if status != "open":
        raise Conflict("this claim is decided already", "claim_decided")
    if winner not in sides:
        raise InvalidInput("the winner is the owner or the claimant", "invalid_winner")
    if not reason.strip():
        raise InvalidInput("a decision gives its reason", "reason_required")


def check_callback(due_at: datetime, now: datetime, timezone: str, quiet: str) -> None:
    """R7, R15: a call-back is planned for later, outside quiet hours ("busy": at the time the customer named)."""
    if due_at <= now:
        raise InvalidInput("a call-back is due later than now", "invalid_time")
    check_not_quiet(due_at, timezone, quiet, "due_at")
