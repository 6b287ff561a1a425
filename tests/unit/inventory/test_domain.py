"""Inventory domain rules: the unit status chain (R19, R27, R29, R32), settings, unit rows, quotes (R20, R21)."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from services.inventory.domain import (
    TRANSITIONS,
    InvalidInput,
    InvalidTransition,
    PriceBelowFiled,
    ProjectSettings,
    QuoteRequest,
    UnitStatus,
    check_transition,
    deed_tax_rate,
    discounted_price,
    equal_instalment,
    equal_principal,
    instalment_plan,
    parse_settings,
    parse_unit_rows,
    quote,
)
from shared.kernel.money import to_fen

S = UnitStatus
ALLOWED = {
    (S.AVAILABLE, S.HELD),
    (S.AVAILABLE, S.RESERVED),
    (S.HELD, S.AVAILABLE),
    (S.HELD, S.RESERVED),
    (S.RESERVED, S.SUBSCRIBED),
    (S.RESERVED, S.AVAILABLE),
    (S.SUBSCRIBED, S.CONTRACTED),
    (S.SUBSCRIBED, S.AVAILABLE),  # 退订
    (S.CONTRACTED, S.HANDED_OVER),
}


@pytest.mark.parametrize("current", list(S))
@pytest.mark.parametrize("target", list(S))
def test_every_pair_of_statuses_is_allowed_or_refused_as_the_chain_says(current, target) -> None:
    if (current, target) in ALLOWED:
        check_transition(current, target)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(current, target)


def test_a_contract_needs_a_subscription_first_r29() -> None:
    with pytest.raises(InvalidTransition):
        check_transition(S.RESERVED, S.CONTRACTED)
    with pytest.raises(InvalidTransition):
        check_transition(S.SUBSCRIBED, S.HANDED_OVER)
    assert TRANSITIONS[S.HANDED_OVER] == frozenset()


def test_settings_defaults_and_validation() -> None:
    s = parse_settings(None)
    assert (s.hold_minutes, s.protection_days, s.cash_limit, s.cash_banking_days, s.quiet_hours) == (
        30,
        20,
        Decimal("10000.00"),
        2,
        "21:00-09:00",
    )
    assert parse_settings({"hold_minutes": 15, "cash_limit": "5000.00"}).hold_minutes == 15
    for bad in (
        {"hold_minutes": 0},
        {"hold_minutes": "x"},
        {"quiet_hours": "25:00-09:00"},
        {"timezone": "Mars/Base"},
        {"cash_limit": "-1"},
        {"nonsense": 1},
        {"hold_minutes": True},
    ):
        with pytest.raises(InvalidInput):
            parse_settings(bad)


def _row(**over):
    row = {
        "building": "B1",
        "number": "101",
        "floor": 1,
        "layout": "3BR",
        "area_m2": "89.50",
        "list_price": "2000000.00",
        "floor_price": "1800000.00",
    }
    row.update(over)
    return row


def test_unit_rows_report_every_bad_row_and_field() -> None:
    rows = [
        _row(),
        _row(number="102", floor="x", area_m2="-3"),
        _row(number="101"),
        "nope",
        _row(number="104", list_price=None),
        _row(number="105", floor_price="2100000"),
    ]
    units, problems = parse_unit_rows(rows)
    found = {(p.row, p.field) for p in problems}
    assert found == {(2, "floor"), (2, "area_m2"), (3, "number"), (4, "*"), (5, "list_price"), (6, "floor_price")}
    assert units[0].list_price == Decimal("2000000.00")


def test_discount_never_below_the_filed_floor_r21() -> None:
    req = QuoteRequest(discount_percent=Decimal("10"))
    assert discounted_price(Decimal("2000000.00"), Decimal("1800000.00"), req) == (
        Decimal("200000.00"),
        Decimal("1800000.00"),
    )
    with pytest.raises(PriceBelowFiled):
        discounted_price(Decimal("2000000.00"), Decimal("1800000.00"), QuoteRequest(discount_percent=Decimal("10.01")))


def test_deed_tax_rates_r20() -> None:
    s = ProjectSettings()
    assert deed_tax_rate(Decimal("90"), True, s) == Decimal("0.01")
    assert deed_tax_rate(Decimal("90.01"), True, s) == Decimal("0.015")
    assert deed_tax_rate(Decimal("60"), False, s) == Decimal("0.03")


def test_equal_instalment_matches_the_textbook_example() -> None:
    # 1,000,000 over 30 years at 4.9%: the published monthly payment is 5,307.27.
    assert equal_instalment(Decimal("1000000"), Decimal("0.049"), 360) == Decimal("5307.27")
    # 1,000,000 over 20 years at 3.1%: the formula in floating point gives 5596.1690 → 5,596.17.
    assert equal_instalment(Decimal("1000000"), Decimal("0.031"), 240) == Decimal("5596.17")


def test_equal_principal_matches_the_textbook_example() -> None:
    months = equal_principal(Decimal("1000000"), Decimal("0.049"), 360)
    assert months[0] == Decimal("6861.11")  # 2777.78 principal + 4083.33 interest
    assert months[-1] == Decimal("2789.12")
    assert months[1] - months[0] == Decimal("-11.34")


@example(loan=10_000, rate_bp=899, years=29)  # the case that showed the first bound was too tight
@given(loan=st.integers(10_000, 5_000_000), rate_bp=st.integers(1, 900), years=st.integers(1, 30))
def test_equal_instalment_repays_the_loan_to_within_rounding(loan, rate_bp, years) -> None:
    loan_d, rate, n = Decimal(loan), Decimal(rate_bp) / 10_000, years * 12
    m = equal_instalment(loan_d, rate, n)
    balance = loan_d
    for _ in range(n):
        balance = balance * (1 + rate / 12) - m
    # Only M's rounding to the fen remains: at most half a fen a month, compounded to the end of the loan.
    r = rate / 12
    compounded = ((1 + r) ** n - 1) / r
    assert abs(balance) <= Decimal("0.005") * compounded + Decimal("0.000001")


@given(loan=st.integers(10_000, 5_000_000), rate_bp=st.integers(0, 900), years=st.integers(1, 30))
def test_equal_principal_payments_fall_and_repay_exactly(loan, rate_bp, years) -> None:
    loan_d, rate, n = Decimal(loan), Decimal(rate_bp) / 10_000, years * 12
    months = equal_principal(loan_d, rate, n)
    assert all(a >= b for a, b in zip(months, months[1:], strict=False))
    interest = sum(months) - loan_d
    expected = loan_d * rate / 12 * (n + 1) / 2
    assert abs(interest - expected) <= Decimal("0.005") * n


@given(price=st.integers(100_000, 90_000_000), count=st.integers(1, 36))
def test_instalments_add_up_to_the_price_to_the_fen(price, count) -> None:
    price_d = to_fen(Decimal(price) / 100)
    plan = instalment_plan(price_d, Decimal("0"), count)
    assert sum(Decimal(a) for a in plan["schedule"]) == price_d


def test_a_full_quote() -> None:
    unit = {"list_price": Decimal("2000000.00"), "floor_price": Decimal("1800000.00"), "area_m2": Decimal("89.50")}
    q = quote(unit, QuoteRequest(discount_amount=Decimal("50000"), first_home=True), ProjectSettings())
    assert q["price"] == "1950000.00" and q["deed_tax"] == "19500.00" and q["maintenance_fund"] == "7160.00"
    assert q["total_cost"] == "1976660.00"
    mortgage = q["plans"]["mortgage"]
    assert mortgage["down_payment"] == "585000.00" and mortgage["loan"] == "1365000.00"
    assert Decimal(mortgage["equal_principal"]["first_month"]) > Decimal(
        mortgage["equal_instalment"]["monthly_payment"]
    )
    with pytest.raises(InvalidInput):
        quote(unit, QuoteRequest(down_payment_ratio=Decimal("0.1")), ProjectSettings())


def _fen(value: Fraction) -> Decimal:
    """Round an exact rational to the fen, half up (the textbook's rounding)."""
    cents = value * 100
    whole = cents.numerator // cents.denominator
    if cents - whole >= Fraction(1, 2):
        whole += 1
    return Decimal(whole) / 100


@given(loan=st.integers(10_000, 5_000_000), rate_bp=st.integers(1, 900), years=st.integers(1, 30))
def test_r20_equal_instalment_is_the_textbook_formula_to_the_fen(loan, rate_bp, years) -> None:
    r, n = Fraction(rate_bp, 10_000) / 12, years * 12
    exact = loan * r * (1 + r) ** n / ((1 + r) ** n - 1)
    assert equal_instalment(Decimal(loan), Decimal(rate_bp) / 10_000, n) == _fen(exact)


@given(
    loan=st.integers(10_000, 5_000_000), rate_bp=st.integers(0, 900), years=st.integers(1, 30), k=st.integers(1, 360)
)
def test_r20_equal_principal_month_k_is_the_textbook_formula_to_the_fen(loan, rate_bp, years, k) -> None:
    r, n = Fraction(rate_bp, 10_000) / 12, years * 12
    k = min(k, n)
    exact = Fraction(loan, n) + (loan - (k - 1) * Fraction(loan, n)) * r
    assert equal_principal(Decimal(loan), Decimal(rate_bp) / 10_000, n)[k - 1] == _fen(exact)


def test_r20_quote_names_every_part_of_the_cost_and_every_plan() -> None:
    unit = {"list_price": Decimal("1000000.00"), "floor_price": Decimal("900000.00"), "area_m2": Decimal("120.00")}
    s = ProjectSettings(other_fees={"registration": Decimal("80.00")}, maintenance_fund_per_m2=Decimal("100.00"))
    q = quote(
        unit,
        QuoteRequest(
            discount_percent=Decimal("2"),
            discount_amount=Decimal("1000"),
            first_home=True,
            down_payment_ratio=Decimal("0.35"),
            years=20,
            annual_rate=Decimal("0.035"),
            instalments=4,
        ),
        s,
    )
    assert (q["discount"], q["price"], q["deed_tax_rate"], q["deed_tax"]) == (
        "21000.00",
        "979000.00",
        "0.015",
        "14685.00",
    )
    assert q["maintenance_fund"] == "12000.00" and q["other_fees"] == {"registration": "80.00"}
    assert q["taxes_and_fees"] == "26765.00" and q["total_cost"] == "1005765.00"
    m = q["plans"]["mortgage"]
    assert (m["down_payment"], m["loan"], m["months"]) == ("342650.00", "636350.00", 240)
    assert m["equal_instalment"]["monthly_payment"] == str(_fen(_annuity(636350, Fraction(35, 12_000), 240)))
    assert m["equal_principal"]["first_month"] == str(_fen(Fraction(636350, 240) + 636350 * Fraction(35, 12_000)))
    assert m["equal_principal"]["last_month"] == str(_fen(Fraction(636350, 240) * (1 + Fraction(35, 12_000))))
    assert q["plans"]["full"]["pay_now"] == q["total_cost"]
    assert q["plans"]["instalments"]["schedule"] == ["244750.00"] * 4
    assert quote(unit, QuoteRequest(first_home=False), s)["deed_tax_rate"] == "0.03"


def _annuity(p: int, r: Fraction, n: int) -> Fraction:
    return p * r * (1 + r) ** n / ((1 + r) ** n - 1)


@pytest.mark.parametrize(
    "bad",
    [
        {"hold_minutes": 10**9},
        {"protection_days": 0},
        {"cash_banking_days": 31},
        {"deed_tax_other": "1.5"},
        {"deed_tax_other": "NaN"},
        {"maintenance_fund_per_m2": "1e400"},
        {"cash_limit": 10000.5},
        {"other_fees": {"registration": "-1"}},
        {"other_fees": ["x"]},
        {"timezone": ""},
        {"quiet_hours": 2100},
        {"deed_tax_area_threshold_m2": "0"},
    ],
)
def test_settings_out_of_range_are_refused_with_the_setting_named(bad) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_settings(bad)
    assert caught.value.code == "invalid_settings" and next(iter(bad)) in str(caught.value)


def test_settings_keep_money_to_the_fen_and_publish_strings() -> None:
    s = parse_settings({"cash_limit": "5000", "other_fees": {"registration": 80}, "timezone": "Asia/Urumqi"})
    assert s.cash_limit == Decimal("5000.00") and s.as_json()["cash_limit"] == "5000.00"
    assert s.as_json()["other_fees"] == {"registration": "80.00"} and s.as_json()["hold_minutes"] == 30
    with pytest.raises(InvalidInput):
        parse_settings(["not", "an", "object"])  # type: ignore[arg-type]


def test_unit_rows_refuse_what_the_tables_cannot_hold() -> None:
    rows = [
        _row(area_m2="1e400"),
        _row(number="102", list_price="9999999999999.00"),
        _row(number="103", floor=True),
        _row(number="104", list_price=2000000.5),
        _row(number="x" * 41),
        _row(number="106", building=["B"]),
        _row(number="107", area_m2=89.5),
    ]
    _, problems = parse_unit_rows(rows)
    assert {(p.row, p.field) for p in problems} == {
        (1, "area_m2"),
        (2, "list_price"),
        (3, "floor"),
        (4, "list_price"),
        (5, "number"),
        (6, "building"),
    }


def test_computed_amounts_round_half_up_to_the_fen_and_refuse_non_numbers() -> None:
    assert to_fen("0.005") == Decimal("0.01") and to_fen("2.675") == Decimal("2.68") and to_fen(3) == Decimal("3.00")
    for bad in ("abc", "NaN", "Infinity", "1e400", None):
        with pytest.raises(ValueError):
            to_fen(bad)


def test_settings_money_goes_through_the_one_parser_never_rounded() -> None:
    """Issue 9: one money parser — a third decimal is refused, as for every amount from outside."""
    with pytest.raises(InvalidInput):
        parse_settings({"cash_limit": "10000.005"})
    assert parse_settings({"cash_limit": 8000}).cash_limit == Decimal("8000.00")


def test_a_price_adjustment_is_all_or_nothing_against_the_floor_and_skips_held_and_sold_units() -> None:
    """Issue 24 (调价, R21): percent half up to the fen; every unit under its floor named; held and sold units kept."""
    from services.inventory.domain.prices import Adjustment, PricesBelowFiled, UnitPrice, plan_adjustment

    def unit(n: int, status: str = "available", price: str = "1000000.00") -> UnitPrice:
        return UnitPrice(n, "B1", str(n), status, Decimal(price), Decimal("900000.00"))

    units = [unit(1), unit(2, "held"), unit(3, "contracted"), unit(4, price="999999.99")]
    plan = plan_adjustment(units, Adjustment("up", percent=Decimal("2.5")))
    assert [(u.unit_id, p) for u, p in plan.changed] == [(1, Decimal("1025000.00")), (4, Decimal("1024999.99"))]
    assert [u.unit_id for u in plan.skipped] == [2, 3]
    with pytest.raises(PricesBelowFiled) as below:
        plan_adjustment(units, Adjustment("down", percent=Decimal("-10.00001")))
    assert [u["unit_id"] for u in below.value.extra()["units"]] == ["1", "4"]
    with pytest.raises(InvalidInput):
        plan_adjustment([unit(5, price="9999999999.00")], Adjustment("up", percent=Decimal("100")))
