"""Payments rules: deposits (R22–R26), two-person verification, schedules (R28), the ledger (R35). Pure."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from shared.kernel.errors import Conflict, DomainError

CENT = Decimal("0.01")
METHODS = frozenset({"cash", "bank_transfer", "card", "cheque", "wechat_pay", "alipay"})
PAYMENT_KINDS = frozenset({"down_payment", "instalment", "balance"})


class Refused(DomainError):
    """Bad input by the rules: 422."""


@dataclass(frozen=True)
class Payer:
    """Someone other than the buyer paying (R29): their written statement is required."""

    name: str
    statement_ref: str | None = None


@dataclass(frozen=True, kw_only=True)
class Payment:
    """Money received against a sale's schedule: down payment, instalment or balance."""

    kind: str
    amount: Decimal
    method: str
    reference: str | None = None


@dataclass(frozen=True)
class DepositRequest:
    amount: Decimal
    method: str
    source_of_funds: str
    currency: str = "CNY"
    reference: str | None = None
    cheque_no: str | None = None
    note_serials: tuple[str, ...] = ()
    payer: Payer | None = None


def check_deposit(req: DepositRequest, cash_limit: Decimal, cash_on_hold: Decimal = Decimal("0.00")) -> None:
    """R25, R26, R29: what a deposit must carry before it can be taken. `cash_on_hold` is the cash already
    taken on the same hold and not refunded: the limit counts them together, so splitting cannot dodge it."""
    if req.amount <= 0:
        raise Refused("a deposit is a positive amount", "invalid_amount")
    if req.method not in METHODS:
        raise Refused(f"method must be one of {', '.join(sorted(METHODS))}", "invalid_method")
    if not req.source_of_funds.strip():
        raise Refused("the source of funds is recorded on the receipt (R26)", "source_of_funds_required")
    if req.method == "cash" and req.amount + cash_on_hold >= cash_limit:
        raise Refused(
            f"from {cash_limit} up the money is paid into the company account, not in cash (R25)", "cash_over_limit"
        )
    if req.method == "cheque" and not (req.cheque_no or "").strip():
        raise Refused("a cheque's number is recorded (R26)", "cheque_no_required")
    if req.method == "cash" and req.currency != "CNY" and not [s for s in req.note_serials if s.strip()]:
        raise Refused("foreign-currency notes have their serial numbers recorded (R26)", "note_serials_required")
    if req.payer is not None and not (req.payer.statement_ref or "").strip():
        raise Refused("a third party paying for the buyer gives a written statement (R29)", "payer_statement_required")


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


def amount_in_words(amount: Decimal) -> str:
    """R26: 大写 in RMB form, e.g. 20000.00 → 贰万元整 (cn2an's rmb mode)."""
    import cn2an

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        words: str = cn2an.an2cn(f"{amount.quantize(CENT)}", "rmb")
    return words


def is_overdue(due: date, paid: Decimal, amount: Decimal, today: date) -> bool:
    """R28: a due date passed without full payment."""
    return today > due and paid < amount


def reminder_dates(due: date) -> list[date]:
    """R28: reminders 5 and 2 days before the down payment is due."""
    return [due - timedelta(days=5), due - timedelta(days=2)]
