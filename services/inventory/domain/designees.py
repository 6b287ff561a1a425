"""Designees (R23, R27): the people a project manager names to take and count deposits or to countersign
subscriptions beside the roles that may anyway; every naming and withdrawal is kept. Pure."""

from __future__ import annotations

from collections.abc import Iterable

from shared.kernel.errors import InvalidInput, refusal

POWERS = ("take_deposits", "countersign")  # R23: take and count deposits; R27: countersign the subscription
COUNTERSIGNERS = frozenset({"manager", "admin"})  # who countersigns without being named

NotACountersigner = refusal(
    "NotACountersigner", "wrong_role", "R27: neither the manager nor someone the manager named.", status=403
)


def check_powers(powers: Iterable[str], reason: str) -> tuple[str, ...]:
    """The powers a manager gives (none: the designation is withdrawn), each once, in a fixed order; with why."""
    wanted = set(powers)
    unknown = sorted(wanted - set(POWERS))
    if unknown:
        raise InvalidInput(f"powers are {', '.join(POWERS)}; not {', '.join(unknown)}", "invalid_power")
    if not reason.strip():
        raise InvalidInput("a designation says why (R35)", "reason_required")
    return tuple(p for p in POWERS if p in wanted)


def may_countersign(role: str, powers: Iterable[str]) -> bool:
    """R27: the manager (or admin), or a designee given `countersign`."""
    return role in COUNTERSIGNERS or "countersign" in set(powers)
