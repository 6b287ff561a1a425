"""Every default of a project's rules, defined once: services read `DEFAULTS` until they learn a project's own
settings (inventory's project-created carries them). Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class ProjectSettings:
    """Per-project numbers of the rules, with their documented defaults."""

    hold_minutes: int = 30  # R19
    protection_days: int = 20  # R10
    cash_limit: Decimal = Decimal("10000.00")  # R25
    cash_banking_days: int = 2  # R24
    quiet_hours: str = "21:00-09:00"  # R15
    timezone: str = "Asia/Shanghai"
    max_contacts_per_day: int = 1  # R15: contacts with one customer on one local day
    tags: tuple[str, ...] = ("first_home", "upgrade", "investor", "school_district")  # R12: the project's tag list
    return_visit_days: int = 90  # R33: the return visit after handover
    referral_reward: str = "two years of property fees"  # R34: what both referrer and referred receive
    deed_tax_first_home_small: Decimal = Decimal("0.01")  # R20 契税: first home up to the area threshold
    deed_tax_first_home_large: Decimal = Decimal("0.015")
    deed_tax_other: Decimal = Decimal("0.03")
    deed_tax_area_threshold_m2: Decimal = Decimal("90")
    maintenance_fund_per_m2: Decimal = Decimal("80.00")  # 维修基金
    other_fees: dict[str, Decimal] = field(default_factory=dict)  # e.g. {"registration": "80.00"}

    def as_json(self) -> dict[str, Any]:
        """Decimals as strings, so other services read them without floats."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, dict):
                out[name] = {k: str(v) for k, v in value.items()}
            elif isinstance(value, tuple):
                out[name] = list(value)
            else:
                out[name] = str(value) if isinstance(value, Decimal) else value
        return out

    @classmethod
    def from_event(cls, raw: dict[str, Any] | None) -> ProjectSettings:
        """A project's settings as project-created carries them (already validated by inventory): the named
        scalar settings in their types, the rest at their defaults. Other services read theirs from this."""
        known: dict[str, Any] = {}
        for name, value in (raw or {}).items():
            default = getattr(DEFAULTS, name, None)
            if isinstance(default, int | str):
                known[name] = type(default)(value)
            elif isinstance(default, tuple) and isinstance(value, list | tuple):
                known[name] = tuple(str(v) for v in value)
            elif isinstance(default, Decimal):
                known[name] = Decimal(str(value))
        return cls(**known)


DEFAULTS = ProjectSettings()
