"""Payments use cases: `deposits` (taken, counted, receipted, banked, refunded) and `sales` (payments,
appointments, overdue notices, cancellation, the ledger). None calls the broker: events go to the outbox."""

from services.payments.use_cases.deposits import (
    TakeDeposit,
    bank_cash,
    find_deposit,
    list_deposits,
    mark_banking_overdue,
    receipt,
    refund,
    seal_payers,
    take_deposit,
    verify_deposit,
)
from services.payments.use_cases.sales import (
    book_mortgage_appointment,
    cancel_sale,
    find_sale,
    ledger,
    record_payment,
    report_overdue,
    sale_of,
)

__all__ = [
    "TakeDeposit",
    "bank_cash",
    "book_mortgage_appointment",
    "cancel_sale",
    "find_deposit",
    "find_sale",
    "ledger",
    "list_deposits",
    "mark_banking_overdue",
    "receipt",
    "record_payment",
    "refund",
    "report_overdue",
    "sale_of",
    "seal_payers",
    "take_deposit",
    "verify_deposit",
]
