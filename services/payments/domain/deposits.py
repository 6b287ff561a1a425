"""Payments rules of a deposit's life and a sale's schedule: two-person verification (R23), banking (R24), refunds,
receipt numbers, the bank appointment (R30), overdue down payments (R28). Pure."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from services.payments.domain.tender import Refused
from shared.kernel.errors import Conflict, DomainError


def check_appointment(at: datetime, place: str, documents: list[str], now: datetime) -> None:
    """R30: a bank appointment is a future time with an offset, at a place, with the documents to bring."""
    if at.tzinfo is None or at <= now:
        raise Refused("the appointment is a future time with an offset", "invalid_time")
    if not place.strip() or not [d for d in documents if d.strip()]:
        raise Refused("the place and the documents to bring are required (R30)", "place_and_documents_required")


def verify(status: str, first_verifier: str | None, verifier: str) -> tuple[str, str | None, bool]:
    """R23: counted by two different authorised people. Returns (status, first_verifier, became_verified)."""
    if status != "pending_verification":
        raise Conflict(f"the deposit is {status}", "not_pending")
    if first_verifier is None:
        return "pending_verification", verifier, False
    if first_verifier == verifier:
        raise Conflict("the second count must be by a different person (R23)", "same_verifier")
    return "verified", first_verifier, True


def check_escorts(escorts: list[str]) -> None:
    """R24: a bank trip takes two people."""
    people = {e.strip() for e in escorts if e and e.strip()}
    if len(people) < 2:
        raise Refused("cash is banked by two different people (R24)", "two_escorts_required")


class NotAnEscort(DomainError):
    """R24: the banking is recorded by one of the two who carried the cash: 403."""

    code = "not_an_escort"
    status = 403


def check_bankable(status: str, method: str, banked: bool, escorts: list[str], recorder: str) -> None:
    """R24: only verified cash not yet banked goes to the bank, recorded by one of its two escorts."""
    check_escorts(escorts)
    if method != "cash" or status != "verified" or banked:
        raise Conflict(
            f"only verified cash not yet banked can be banked (this is {method}, {status}"
            f"{', banked' if banked else ''})",
            "not_bankable",
        )
    if recorder not in {e.strip() for e in escorts}:
        raise NotAnEscort("the banking is recorded by one of the two escorts (R24)")


def check_refundable(status: str, sale_subscribed: bool) -> None:
    """A live deposit can be refunded until its sale is subscribed; then the sale is cancelled first (退订)."""
    if status not in ("pending_verification", "verified"):
        raise Conflict(f"the deposit is {status}", "not_refundable")
    if sale_subscribed:
        raise Conflict(
            "the sale is subscribed: cancel the sale first (退订), which refunds the deposit", "sale_subscribed"
        )


def banking_due(verified_at: datetime, days: int) -> datetime:
    """R24: cash is banked within `days` (setting, default 2)."""
    return verified_at + timedelta(days=days)


def receipt_number(project_code: str, sequence: int) -> str:
    return f"{project_code}-{sequence:06d}"


def is_overdue(due: date, paid: Decimal, amount: Decimal, today: date) -> bool:
    """R28: a due date passed without full payment."""
    return today > due and paid < amount


def reminder_dates(due: date) -> list[date]:
    """R28: reminders 5 and 2 days before the down payment is due."""
    return [due - timedelta(days=5), due - timedelta(days=2)]
