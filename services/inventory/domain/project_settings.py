"""A project's settings: the per-project numbers of the rules, validated, with their defaults. Pure."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shared.kernel.defaults import ProjectSettings
from shared.kernel.errors import InvalidInput
from shared.kernel.money import parse_money

# name → (lowest, highest) allowed
_INT_SETTINGS = {
    "hold_minutes": (1, 7 * 24 * 60),
    "protection_days": (1, 365),
    "cash_banking_days": (0, 30),  # 0: banked at once (v1.2 clarifications)
    "max_contacts_per_day": (1, 20),
    "return_visit_days": (1, 730),
}
_RATE_SETTINGS = ("deed_tax_first_home_small", "deed_tax_first_home_large", "deed_tax_other")
_MONEY_SETTINGS = ("cash_limit", "maintenance_fund_per_m2")
_TAG = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_QUIET = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")


def parse_settings(raw: dict[str, Any] | None) -> ProjectSettings:
    """Validate a project's settings; unknown names and bad values raise InvalidInput naming the setting."""
    if raw is not None and not isinstance(raw, dict):
        raise InvalidInput("settings must be an object", "invalid_settings")
    raw = dict(raw or {})
    unknown = set(raw) - set(ProjectSettings.__dataclass_fields__)
    if unknown:
        raise InvalidInput(f"unknown settings: {', '.join(sorted(unknown))}", "invalid_settings")
    return ProjectSettings(**{name: _parse_setting(name, value) for name, value in raw.items()})


def _parse_setting(name: str, value: Any) -> Any:
    try:
        return _SETTING_PARSERS[name](name, value)
    except (ValueError, TypeError, InvalidOperation, ZoneInfoNotFoundError) as exc:
        raise InvalidInput(f"setting {name} has a bad value: {value!r}", "invalid_settings") from exc


def _int(name: str, value: Any) -> int:
    low, high = _INT_SETTINGS[name]
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not low <= int(value) <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}")
    return int(value)


def _rate(name: str, value: Any) -> Decimal:
    rate = _decimal(value)
    if not Decimal("0") <= rate <= Decimal("1"):
        raise ValueError(f"{name} is a fraction from 0 to 1 (0.01 is 1%)")
    return rate


def _area(name: str, value: Any) -> Decimal:
    area = _decimal(value)
    if not Decimal("0") < area < Decimal("100000"):
        raise ValueError(f"{name} must be a positive area")
    return area


def _money(name: str, value: Any) -> Decimal:
    if isinstance(value, (bool, float)):
        raise ValueError(f'{name} is a decimal string such as "10000.00"')
    try:  # the one money parser: a decimal string (or whole number) with at most two places, never rounded
        return parse_money(str(value) if isinstance(value, int) else value)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from None


def _quiet(name: str, value: Any) -> str:
    if not isinstance(value, str) or not _QUIET.match(value):
        raise ValueError(f"{name} looks like 21:00-09:00")
    return value


def _zone(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} is an IANA time zone name")
    ZoneInfo(value)
    return value


def _fees(name: str, value: Any) -> dict[str, Decimal]:
    if not isinstance(value, dict):
        raise ValueError(f"{name} is an object of fee name → amount")
    return {str(k): _money(f"{name}.{k}", v) for k, v in value.items()}


def _tags(name: str, value: Any) -> tuple[str, ...]:
    """R12: the project's tag list, short lower-case codes."""
    if not isinstance(value, list) or not 1 <= len(value) <= 100:
        raise ValueError(f"{name} is a list of 1 to 100 tags")
    if not all(isinstance(tag, str) and _TAG.match(tag) for tag in value):
        raise ValueError(f"{name}: each tag is a lower-case code such as school_district")
    return tuple(dict.fromkeys(value))


def _words(name: str, value: Any) -> str:
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= 200:
        raise ValueError(f"{name} is a text of 1 to 200 characters")
    return value.strip()


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("not a number")
    number = Decimal(str(value))
    if not number.is_finite():
        raise ValueError("not a number")
    return number


_SETTING_PARSERS = {
    **{name: _int for name in _INT_SETTINGS},
    **{name: _rate for name in _RATE_SETTINGS},
    **{name: _money for name in _MONEY_SETTINGS},
    "deed_tax_area_threshold_m2": _area,
    "quiet_hours": _quiet,
    "timezone": _zone,
    "other_fees": _fees,
    "tags": _tags,
    "referral_reward": _words,
}
