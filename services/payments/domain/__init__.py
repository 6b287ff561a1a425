"""Payments' pure rules: `tender` (what money received must carry, its amount in capital numerals: R25, R26, R29),
`deposits` (verification, banking, refunds, receipt numbers, schedules: R23, R24, R28, R30), `receipts` (the
printed receipt's lines, R26) and `paperwork` (the contract copy signed for, R29; who may take deposits: the
manager's designees, R23)."""

from services.payments.domain.deposits import (
    NotAnEscort,
    banking_due,
    check_appointment,
    check_bankable,
    check_escorts,
    check_refundable,
    is_overdue,
    receipt_number,
    reminder_dates,
    verify,
)
from services.payments.domain.paperwork import (
    COLLECTORS,
    TAKE_DEPOSITS,
    NotAuthorised,
    check_collection,
    may_take_money,
)
from services.payments.domain.receipts import COPY_MARK, KIND_WORDS, METHOD_WORDS, TITLE, is_copy, receipt_lines
from services.payments.domain.tender import (
    CNY,
    CURRENCY_WORDS,
    METHODS,
    PAYMENT_KINDS,
    DepositRequest,
    Payer,
    Payment,
    Refused,
    amount_in_words,
    check_deposit,
    check_payment,
    cny_value,
)
from shared.kernel.errors import Conflict, DomainError

__all__ = [
    "COLLECTORS",
    "TAKE_DEPOSITS",
    "NotAuthorised",
    "check_collection",
    "may_take_money",
    "CNY",
    "COPY_MARK",
    "CURRENCY_WORDS",
    "KIND_WORDS",
    "METHODS",
    "METHOD_WORDS",
    "PAYMENT_KINDS",
    "TITLE",
    "Conflict",
    "DepositRequest",
    "DomainError",
    "NotAnEscort",
    "Payer",
    "Payment",
    "Refused",
    "amount_in_words",
    "banking_due",
    "check_appointment",
    "check_bankable",
    "check_deposit",
    "check_escorts",
    "check_payment",
    "check_refundable",
    "cny_value",
    "is_copy",
    "is_overdue",
    "receipt_lines",
    "receipt_number",
    "reminder_dates",
    "verify",
]
