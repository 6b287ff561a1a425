"""The deal's paperwork rules: subscription (R27), contract (R29), handover (R32). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from services.inventory.domain.status import (
    BuyerSignatureRequired,
    IdCopyRequired,
    PoaNotNotarized,
    UnitStatus,
    check_transition,
)
from shared.kernel.errors import InvalidInput

MAX_DOWN_PAYMENT_DAYS = 366  # a down payment due further out than a year is a typing error, not a plan


@dataclass(frozen=True)
class SubscriptionTerms:
    """认购书: what the manager countersigns."""

    buyer_signed: bool
    down_payment: Decimal
    due_date: date


def check_subscription(status: UnitStatus, terms: SubscriptionTerms, price: Decimal, today: date) -> None:
    """R27: only a reserved unit; the buyer signed in person; the down payment is a real part of the price,
    due no earlier than today (the project's today, in its time zone)."""
    check_transition(status, UnitStatus.SUBSCRIBED)
    if not terms.buyer_signed:
        raise BuyerSignatureRequired("the buyer signs the subscription agreement in person (R27)")
    if not (Decimal("0") < terms.down_payment <= price):
        raise InvalidInput(f"the down payment must be above 0 and at most the price {price}", "invalid_down_payment")
    if terms.due_date < today:
        raise InvalidInput(f"the down payment cannot fall due before today ({today})", "invalid_down_payment")
    if terms.due_date > today + timedelta(days=MAX_DOWN_PAYMENT_DAYS):
        raise InvalidInput(
            f"the down payment falls due within {MAX_DOWN_PAYMENT_DAYS} days of today ({today})", "date_out_of_range"
        )


SIGNATORIES = ("buyer", "attorney")


@dataclass(frozen=True)
class ContractSigning:
    """商品房买卖合同: who signs, and the papers kept."""

    contract_no: str
    signatory: str
    poa_notarized: bool
    id_copy_kept: bool


def check_contract(status: UnitStatus, signing: ContractSigning) -> None:
    """R29: after the subscription only; the buyer or a notarised attorney signs; a copy of the ID is kept.

    The order of the checks is the one docs/api.md documents: a step out of order is a 409 before any other refusal."""
    check_transition(status, UnitStatus.CONTRACTED)
    if not signing.contract_no.strip():
        raise InvalidInput("a contract needs its number", "invalid_contract_no")
    if signing.signatory not in SIGNATORIES:
        raise InvalidInput("the signatory is the buyer or an attorney", "invalid_signatory")
    if signing.signatory == "attorney" and not signing.poa_notarized:
        raise PoaNotNotarized("an attorney signs only with a notarised power of attorney (R29)")
    if not signing.id_copy_kept:
        raise IdCopyRequired("a copy of the signatory's ID is kept with the contract (R29)")


def check_handover(
    status: UnitStatus, handed_over_at: datetime, contract_signed_at: datetime | None, now: datetime
) -> None:
    """R32: keys only after the contract, at a time with an offset, not before the contract was signed and not
    in the future (a day's grace for clocks): the hand-off tells the property company when it happened."""
    check_transition(status, UnitStatus.HANDED_OVER)
    if handed_over_at.tzinfo is None or handed_over_at.utcoffset() is None:
        raise InvalidInput("handed_over_at needs a time zone offset", "invalid_request")
    if handed_over_at > now + timedelta(days=1):
        raise InvalidInput("the handover is recorded when it has happened, not ahead", "date_out_of_range")
    if contract_signed_at is not None and handed_over_at < contract_signed_at:
        raise InvalidInput("the handover cannot be before the contract was signed", "invalid_request")
