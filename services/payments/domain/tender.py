"""What money received must carry, a deposit or a payment on a sale (R25, R26, R29), and its amount in capital
numerals naming the currency (R26). Pure.

The cash limit (R25) is in yuan: money in another currency counts by its CNY equivalent (a payment must give it;
a deposit may, as v1.0 deposits did not), and the limit counts every cash amount already taken on the same hold
or sale together with the new one, so splitting cannot dodge it."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from decimal import Decimal

from shared.kernel.errors import DomainError

CENT = Decimal("0.01")
CNY = "CNY"
METHODS = frozenset({"cash", "bank_transfer", "card", "cheque", "wechat_pay", "alipay"})
PAYMENT_KINDS = frozenset({"down_payment", "instalment", "balance"})
# R26: the currency named before the capital numerals (`美元玖仟元整`); yuan are written as they always were
CURRENCY_WORDS = {
    "USD": "美元",
    "HKD": "港币",
    "MOP": "澳门元",
    "TWD": "新台币",
    "EUR": "欧元",
    "GBP": "英镑",
    "JPY": "日元",
    "SGD": "新加坡元",
    "AUD": "澳大利亚元",
    "CAD": "加拿大元",
    "CHF": "瑞士法郎",
    "KRW": "韩元",
}


class Refused(DomainError):
    """Bad input by the rules: 422."""


@dataclass(frozen=True)
class Payer:
    """Someone other than the buyer paying (R29): their written statement is required."""

    name: str
    statement_ref: str | None = None


@dataclass(frozen=True)
class DepositRequest:
    amount: Decimal
    method: str
    source_of_funds: str
    currency: str = CNY
    reference: str | None = None
    cheque_no: str | None = None
    note_serials: tuple[str, ...] = ()
    payer: Payer | None = None
    cny_equivalent: Decimal | None = None


@dataclass(frozen=True, kw_only=True)
class Payment:
    """Money received against a sale's schedule: down payment, instalment or balance, with what a receipt shows."""

    kind: str
    amount: Decimal
    method: str
    reference: str | None = None
    source_of_funds: str | None = None
    currency: str = CNY
    cny_equivalent: Decimal | None = None
    cheque_no: str | None = None
    note_serials: tuple[str, ...] = ()
    payer: Payer | None = None


Tender = DepositRequest | Payment


def cny_value(money: Tender) -> Decimal:
    """What the money is worth in yuan: itself in CNY, else its stated equivalent (the amount when none was given:
    a v1.0 deposit)."""
    if money.currency == CNY or money.cny_equivalent is None:
        return money.amount
    return money.cny_equivalent


def check_deposit(req: DepositRequest, cash_limit: Decimal, cash_on_hold: Decimal = Decimal("0.00")) -> None:
    """R25, R26, R29: what a deposit must carry before it can be taken. `cash_on_hold` is the cash already
    taken on the same hold and not refunded (in yuan)."""
    if req.amount <= 0:
        raise Refused("a deposit is a positive amount", "invalid_amount")
    _check_method(req.method)
    if not req.source_of_funds.strip():
        raise Refused("the source of funds is recorded on the receipt (R26)", "source_of_funds_required")
    _check_tender(req, cash_limit, cash_on_hold)


def check_payment(paid: Payment, cash_limit: Decimal, cash_on_sale: Decimal = Decimal("0.00")) -> None:
    """A payment on a sale keeps the deposit's rules (R25, R26, R29): a positive amount of a known kind and method;
    a foreign currency with its CNY equivalent, to which the cash limit applies. `cash_on_sale` is the cash the
    sale already received, its deposit's included (in yuan)."""
    if paid.amount <= 0:
        raise Refused("a payment is a positive amount", "invalid_amount")
    if paid.kind not in PAYMENT_KINDS:
        raise Refused(f"kind must be one of {', '.join(sorted(PAYMENT_KINDS))}", "invalid_kind")
    _check_method(paid.method)
    if paid.currency != CNY and paid.cny_equivalent is None:
        raise Refused(f"a payment in {paid.currency} states its CNY equivalent", "cny_equivalent_required")
    _check_tender(paid, cash_limit, cash_on_sale)


def _check_method(method: str) -> None:
    if method not in METHODS:
        raise Refused(f"method must be one of {', '.join(sorted(METHODS))}", "invalid_method")


def _check_tender(money: Tender, cash_limit: Decimal, cash_before: Decimal) -> None:
    """R25: no cash from the limit up (counted with the cash before, in yuan); R26: a cheque's number, foreign
    notes' serials; R29: a third party's written statement."""
    if money.method == "cash" and cny_value(money) + cash_before >= cash_limit:
        raise Refused(
            f"from {cash_limit} up the money is paid into the company account, not in cash (R25)", "cash_over_limit"
        )
    if money.method == "cheque" and not (money.cheque_no or "").strip():
        raise Refused("a cheque's number is recorded (R26)", "cheque_no_required")
    if money.method == "cash" and money.currency != CNY and not [s for s in money.note_serials if s.strip()]:
        raise Refused("foreign-currency notes have their serial numbers recorded (R26)", "note_serials_required")
    if money.payer is not None and not (money.payer.statement_ref or "").strip():
        raise Refused("a third party paying for the buyer gives a written statement (R29)", "payer_statement_required")


def amount_in_words(amount: Decimal, currency: str = CNY) -> str:
    """R26: 大写 in RMB form, e.g. 20000.00 → 贰万元整 (cn2an's rmb mode); another currency is named first:
    USD 9000.00 → 美元玖仟元整 (a currency without a Chinese name here: its code)."""
    import cn2an

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        words: str = cn2an.an2cn(f"{amount.quantize(CENT)}", "rmb")
    return words if currency == CNY else CURRENCY_WORDS.get(currency, currency) + words
