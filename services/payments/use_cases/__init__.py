"""Payments use cases: `deposits` (taken, counted, banked, refunded), `receipts` (every receipt of money, as JSON and
printed) and `sales` (payments, appointments, overdue notices, cancellation, the ledger). None calls the broker:
events go to the outbox."""

from services.payments.use_cases.deposits import (
    TakeDeposit,
    bank_cash,
    find_deposit,
    list_deposits,
    mark_banking_overdue,
    next_banking_due,
    refund,
    refund_in_transaction,
    require_money_taker,
    seal_payers,
    take_deposit,
    verify_deposit,
)
from services.payments.use_cases.paperwork import collect_contract
from services.payments.use_cases.receipts import (
    deposit_receipt,
    payment_receipt,
    print_deposit_receipt,
    print_payment_receipt,
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
    "collect_contract",
    "deposit_receipt",
    "find_deposit",
    "find_sale",
    "ledger",
    "list_deposits",
    "mark_banking_overdue",
    "next_banking_due",
    "payment_receipt",
    "print_deposit_receipt",
    "print_payment_receipt",
    "record_payment",
    "refund",
    "refund_in_transaction",
    "report_overdue",
    "require_money_taker",
    "sale_of",
    "seal_payers",
    "take_deposit",
    "verify_deposit",
]
