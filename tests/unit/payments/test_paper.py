"""Issue 24: the amount in capital numerals names its currency (R26), a payment keeps the deposit's rules (R25,
R29), and the printed receipt's lines, copy mark and font."""

from decimal import Decimal

import pytest

from services.payments import paper
from services.payments.domain import Payer, Payment, Refused, amount_in_words, check_payment, cny_value
from services.payments.domain.receipts import is_copy, receipt_lines
from shared.kernel.errors import DomainError

LIMIT = Decimal("10000.00")


def pay(**over) -> Payment:
    return Payment(**({"kind": "balance", "amount": Decimal("9000.00"), "method": "bank_transfer"} | over))


@pytest.mark.parametrize(
    "amount, currency, words",
    [
        ("9000.00", "USD", "美元玖仟元整"),
        ("20000.00", "CNY", "贰万元整"),
        ("100.50", "HKD", "港币壹佰元伍角"),
        ("1.00", "XYZ", "XYZ壹元整"),
    ],
)
def test_the_words_name_the_currency_r26(amount, currency, words) -> None:
    assert amount_in_words(Decimal(amount), currency) == words


@pytest.mark.parametrize(
    "over, before, code",
    [
        ({"currency": "USD"}, "0", "cny_equivalent_required"),
        ({"method": "cash", "currency": "USD", "cny_equivalent": Decimal("64800.00")}, "0", "cash_over_limit"),
        ({"method": "cash", "amount": Decimal("4000.00")}, "6000.00", "cash_over_limit"),
        ({"method": "cheque"}, "0", "cheque_no_required"),
        ({"payer": Payer("Uncle")}, "0", "payer_statement_required"),
        ({"kind": "gift"}, "0", "invalid_kind"),
        ({"amount": Decimal("0.00")}, "0", "invalid_amount"),
    ],
)
def test_a_payment_keeps_the_deposit_rules_r25_r29(over, before, code) -> None:
    with pytest.raises(Refused) as refused:
        check_payment(pay(**over), LIMIT, Decimal(before))
    assert refused.value.code == code


def test_foreign_money_counts_by_its_cny_equivalent_r25() -> None:
    small = pay(method="cash", amount=Decimal("1000.00"), currency="USD", cny_equivalent=Decimal("7200.00"))
    check_payment(small.__class__(**(small.__dict__ | {"note_serials": ("AB1",)})), LIMIT, Decimal("2000.00"))
    assert cny_value(small) == Decimal("7200.00") and cny_value(pay()) == Decimal("9000.00")


def test_the_printed_lines_and_the_copy_mark() -> None:
    receipt = {
        "receipt_no": "P-000003",
        "kind": "deposit",
        "project": {"id": "p", "code": "P", "name": "滨江花园"},
        "unit_number": "B1-1801",
        "amount": "20000.00",
        "currency": "CNY",
        "amount_in_words": "贰万元整",
        "method": "cheque",
        "source_of_funds": "savings",
        "cheque_no": "CHK-1",
        "verified_by": ["f-1", "m-1"],
        "issued_at": "2026-05-01T02:00:00+00:00",
        "prints": 1,
    }
    lines = dict(receipt_lines(receipt, "Asia/Shanghai"))
    assert lines["金额大写 In words"] == "贰万元整" and lines["付款方式 Method"] == "支票 cheque"
    assert lines["开具时间 Issued"] == "2026-05-01 10:00:00 (Asia/Shanghai)" and lines["支票号码 Cheque No."] == "CHK-1"
    assert lines["收款复核 Verified by"] == "f-1 / m-1" and "代付人 Paid by" not in lines
    assert not is_copy(1) and is_copy(2) and is_copy(7)


def test_a_machine_without_a_cjk_font_is_told_which_package_to_install(tmp_path) -> None:
    with pytest.raises(DomainError) as missing:
        paper.font_file([str(tmp_path / "none.ttc")])
    assert missing.value.code == "receipt_font_missing" and missing.value.status == 503
    assert "fonts-wqy-zenhei" in str(missing.value)
    assert paper.font_file().is_file()  # `make test` installs fonts-wqy-zenhei
