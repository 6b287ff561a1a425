"""The unit's status chain (R19, R27, R29, R32) and the named refusals of sales control. Pure."""

from __future__ import annotations

from decimal import Decimal
from enum import Enum

from shared.kernel.errors import refusal

CENT = Decimal("0.01")


InvalidTransition = refusal("InvalidTransition", "invalid_transition", "Not at the step this needs.")
UnitNotAvailable = refusal("UnitNotAvailable", "unit_not_available", "R19: held or sold to someone else.")
PriceBelowFiled = refusal("PriceBelowFiled", "price_below_filed", "R21: under the filed floor price.")
PoaNotNotarized = refusal("PoaNotNotarized", "poa_not_notarized", "R29: the attorney's POA is not notarised.")
IdCopyRequired = refusal("IdCopyRequired", "id_copy_required", "R29: the buyer's ID copy is kept.")
BuyerSignatureRequired = refusal("BuyerSignatureRequired", "buyer_signature_required", "R27: signed in person.")


class UnitStatus(str, Enum):
    """The unit's place in the chain: 可售 → 锁定 → 已定 → 认购 → 签约 → 交房."""

    AVAILABLE = "available"
    HELD = "held"
    RESERVED = "reserved"
    SUBSCRIBED = "subscribed"
    CONTRACTED = "contracted"
    HANDED_OVER = "handed_over"


S = UnitStatus
# R19, R27, R29, R32: the only moves a unit can make.
TRANSITIONS: dict[UnitStatus, frozenset[UnitStatus]] = {
    S.AVAILABLE: frozenset({S.HELD, S.RESERVED}),  # RESERVED directly: a deposit verified after its hold lapsed
    S.HELD: frozenset({S.AVAILABLE, S.RESERVED}),
    S.RESERVED: frozenset({S.SUBSCRIBED, S.AVAILABLE}),  # AVAILABLE: deposit refunded
    S.SUBSCRIBED: frozenset({S.CONTRACTED, S.AVAILABLE}),  # AVAILABLE: the sale cancelled (退订)
    S.CONTRACTED: frozenset({S.HANDED_OVER}),
    S.HANDED_OVER: frozenset(),
}


CANCELLABLE = frozenset({S.RESERVED, S.SUBSCRIBED})  # a contracted sale is not cancelled this way


def check_cancellation(current: UnitStatus) -> None:
    """退订: only a reserved or subscribed sale is cancelled, and the unit becomes available again."""
    if current not in CANCELLABLE:
        raise InvalidTransition(f"a {current.value} sale cannot be cancelled (only reserved or subscribed)")


def check_transition(current: UnitStatus, target: UnitStatus) -> None:
    """Raise InvalidTransition unless the unit may move from `current` to `target`."""
    if target not in TRANSITIONS[current]:
        raise InvalidTransition(f"a {current.value} unit cannot become {target.value}")
