"""Payments rules: R22–R26 deposits, R23 two counts, R24 banking, R26 capital numerals, R28 overdue."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from services.payments.domain import (
    Conflict,
    DepositRequest,
    DomainError,
    Payer,
    Payment,
    Refused,
    amount_in_words,
    banking_due,
    check_appointment,
    check_bankable,
    check_deposit,
    check_escorts,
    check_payment,
    check_refundable,
    is_overdue,
    receipt_number,
    reminder_dates,
    verify,
)
from shared.kernel.money import InvalidAmount, parse_money

LIMIT = Decimal("10000.00")


def req(**over) -> DepositRequest:
    base = dict(amount=Decimal("20000.00"), method="bank_transfer", source_of_funds="savings")
    return DepositRequest(**(base | over))


@pytest.mark.parametrize(
    "amount, words",
    [
        ("10000.00", "壹万元整"),
        ("10005.00", "壹万零伍元整"),
        ("100000.50", "壹拾万元伍角"),
        ("0.05", "伍分"),
        ("20000.00", "贰万元整"),
        ("1234567.89", "壹佰贰拾叁万肆仟伍佰陆拾柒元捌角玖分"),
    ],
)
def test_amount_in_capital_numerals_r26(amount: str, words: str) -> None:
    assert amount_in_words(Decimal(amount)) == words


def test_cash_from_the_limit_up_is_refused_r25() -> None:
    check_deposit(req(method="cash", amount=Decimal("9999.99")), LIMIT)
    with pytest.raises(Refused) as err:
        check_deposit(req(method="cash", amount=Decimal("10000.00")), LIMIT)
    assert err.value.code == "cash_over_limit"
    check_deposit(req(method="bank_transfer", amount=Decimal("500000.00")), LIMIT)


@pytest.mark.parametrize(
    "over, code",
    [
        ({"method": "cheque"}, "cheque_no_required"),
        ({"method": "cash", "amount": Decimal("500"), "currency": "USD"}, "note_serials_required"),
        ({"payer": Payer("Uncle Wang")}, "payer_statement_required"),
        ({"method": "barter"}, "invalid_method"),
        ({"source_of_funds": " "}, "source_of_funds_required"),
    ],
)
def test_what_a_deposit_must_carry_r26_r29(over, code) -> None:
    with pytest.raises(Refused) as err:
        check_deposit(req(**over), LIMIT)
    assert err.value.code == code


def test_complete_deposits_pass() -> None:
    check_deposit(req(method="cheque", cheque_no="CHK-1"), LIMIT)
    check_deposit(req(method="cash", amount=Decimal("500"), currency="USD", note_serials=("AB123",)), LIMIT)
    check_deposit(req(payer=Payer("Uncle Wang", "STMT-7")), LIMIT)


def test_two_different_people_verify_r23() -> None:
    assert verify("pending_verification", None, "f1") == ("pending_verification", "f1", False)
    with pytest.raises(Conflict) as err:
        verify("pending_verification", "f1", "f1")
    assert err.value.code == "same_verifier"
    assert verify("pending_verification", "f1", "m1") == ("verified", "f1", True)
    with pytest.raises(Conflict):
        verify("verified", "f1", "x")


def test_escorts_and_banking_window_r24() -> None:
    check_escorts(["a", "b"])
    for bad in (["a"], ["a", "a"], ["a", " "], []):
        with pytest.raises(Refused):
            check_escorts(bad)
    t = datetime(2026, 11, 23, tzinfo=UTC)
    assert banking_due(t, 2) == t + timedelta(days=2)


def test_money_and_receipts() -> None:
    assert parse_money("20000") == Decimal("20000.00")
    for bad in ("-1", "1.001", "abc", "NaN", "1e30", 0.1, "99999999999999.99"):
        with pytest.raises(InvalidAmount):
            parse_money(bad)
    assert receipt_number("RG", 7) == "RG-000007"


def test_a_zero_deposit_and_split_cash_are_refused_r25() -> None:
    with pytest.raises(Refused, match="positive"):
        check_deposit(DepositRequest(Decimal("0.00"), "cash", "savings"), Decimal("10000.00"))
    with pytest.raises(Refused) as refused:  # 6,000 already in cash on the hold: 5,000 more reaches the limit
        check_deposit(DepositRequest(Decimal("5000.00"), "cash", "savings"), Decimal("10000.00"), Decimal("6000.00"))
    assert refused.value.code == "cash_over_limit"
    check_deposit(DepositRequest(Decimal("3000.00"), "cash", "savings"), Decimal("10000.00"), Decimal("6000.00"))


@pytest.mark.parametrize(
    "status, method, banked, escorts, recorder, code",
    [
        ("pending_verification", "cash", False, ["a", "b"], "a", "not_bankable"),
        ("refunded", "cash", False, ["a", "b"], "a", "not_bankable"),
        ("verified", "card", False, ["a", "b"], "a", "not_bankable"),
        ("verified", "cash", True, ["a", "b"], "a", "not_bankable"),
        ("verified", "cash", False, ["a", "b"], "c", "not_an_escort"),
        ("verified", "cash", False, ["a", "a"], "a", "two_escorts_required"),
    ],
)
def test_banking_rules_r24(status, method, banked, escorts, recorder, code) -> None:
    with pytest.raises(DomainError) as refused:
        check_bankable(status, method, banked, escorts, recorder)
    assert refused.value.code == code
    check_bankable("verified", "cash", False, ["a", "b"], "b")


def test_refund_waits_for_the_cancellation_of_a_subscribed_sale() -> None:
    with pytest.raises(Conflict) as refused:
        check_refundable("verified", sale_subscribed=True)
    assert refused.value.code == "sale_subscribed"
    with pytest.raises(Conflict):
        check_refundable("refunded", sale_subscribed=False)
    check_refundable("pending_verification", sale_subscribed=False)


def test_overdue_and_reminders_r28() -> None:
    due = date(2026, 12, 10)
    assert not is_overdue(due, Decimal("0"), Decimal("100"), due)
    assert is_overdue(due, Decimal("99.99"), Decimal("100"), due + timedelta(days=1))
    assert not is_overdue(due, Decimal("100"), Decimal("100"), due + timedelta(days=9))
    assert reminder_dates(due) == [date(2026, 12, 5), date(2026, 12, 8)]


@pytest.mark.parametrize("amount", ["0.00", "-1.00"])
def test_a_payment_is_a_positive_amount(amount) -> None:
    check_payment(Payment(kind="down_payment", amount=Decimal("0.01"), method="bank_transfer"), LIMIT)
    with pytest.raises(Refused) as refused:
        check_payment(Payment(kind="down_payment", amount=Decimal(amount), method="bank_transfer"), LIMIT)
    assert refused.value.code == "invalid_amount"


def test_a_mortgage_appointment_is_in_the_future_at_a_place_with_documents_r30() -> None:
    now = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    check_appointment(now + timedelta(days=1), "ICBC", ["ID card"], now)
    for at, place, documents, code in (
        (now, "ICBC", ["ID card"], "invalid_time"),
        ((now + timedelta(days=1)).replace(tzinfo=None), "ICBC", ["ID card"], "invalid_time"),
        (now + timedelta(days=1), " ", ["ID card"], "place_and_documents_required"),
        (now + timedelta(days=1), "ICBC", [" "], "place_and_documents_required"),
    ):
        with pytest.raises(Refused) as refused:
            check_appointment(at, place, documents, now)
        assert refused.value.code == code
