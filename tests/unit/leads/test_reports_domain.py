"""Issue 22, the group's report figures (pure): what each event adds (R1 within 3 rings = answered within 15 s, R5
key visitors are left out by the caller), that a roll-up is exactly the sum of its parts whatever the grouping and
exact to the fen, the contract's rounding of rates and completion, the funnel's chain and the league's order."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from services.leads.domain import (
    METRIC_COLUMNS,
    METRIC_NAMES,
    Deals,
    Metrics,
    completion,
    completions,
    funnel_shape,
    league_order,
    rate,
    total,
)

fen = st.decimals(min_value=0, max_value=Decimal("99999999.99"), places=2, allow_nan=False, allow_infinity=False)
deals = st.builds(Deals, st.integers(0, 500), fen, fen)
figures = st.builds(
    Metrics,
    st.integers(0, 1000),
    st.integers(0, 1000),
    st.integers(0, 1000),
    st.integers(0, 1000),
    deals,
    deals,
    deals,
    st.integers(0, 100),
    fen,
    fen,
    st.integers(0, 100),
)


def test_each_event_adds_what_the_contract_names() -> None:
    assert Metrics.registered("walk_in") == Metrics(new_customers=1, visits=1)  # R4: a walk-in is a visit
    assert Metrics.registered("phone_call") == Metrics(new_customers=1)
    assert Metrics.followed_up("visit") == Metrics(visits=1) and Metrics.followed_up("phone").is_zero()
    assert Metrics.call(15.0) == Metrics(calls=1, calls_within_3_rings=1)  # R1: within 15 s is within 3 rings
    assert Metrics.call(15.01) == Metrics(calls=1) and Metrics.call(None) == Metrics(calls=1)
    held = Metrics.deal("holds", Decimal("1000000"), Decimal("89.5"))
    assert held.holds == Deals(1, Decimal("89.50"), Decimal("1000000.00")) and held.subscriptions == Deals()
    assert Metrics.deal("contracts", None, None).contracts == Deals(1)  # a sale of unknown price: counted, 0 yuan


def test_the_answer_shape_is_the_contracts() -> None:
    shaped = Metrics.deal("subscriptions", Decimal("980000"), Decimal("89.5")).as_json()
    assert (
        list(shaped)
        == list(METRIC_NAMES)
        == [
            "new_customers",
            "visits",
            "calls",
            "calls_within_3_rings",
            "holds",
            "subscriptions",
            "contracts",
            "cancellations",
            "collected",
            "refunded",
            "handovers",
        ]
    )
    assert shaped["subscriptions"] == {"count": 1, "area_m2": "89.50", "amount": "980000.00"}
    assert shaped["collected"] == "0.00" and shaped["visits"] == 0
    assert len(Metrics().as_row()) == len(METRIC_COLUMNS) == 17


@given(st.lists(st.lists(figures, max_size=6), max_size=6))
def test_a_roll_up_is_exactly_the_sum_of_its_parts_however_grouped(projects: list[list[Metrics]]) -> None:
    """Consultants → projects → org equals consultants → org: money exact to the fen, counts exact."""
    by_project = [total(consultants) for consultants in projects]
    org = total(by_project)
    assert org == total(m for consultants in projects for m in consultants)
    every = [m for consultants in projects for m in consultants]
    assert org.collected == sum((m.collected for m in every), Decimal("0.00"))
    assert org.contracts.amount == sum((m.contracts.amount for m in every), Decimal("0.00"))
    assert org.holds.count == sum(m.holds.count for m in every)


@given(figures, figures)
def test_metrics_add_like_numbers(a: Metrics, b: Metrics) -> None:
    assert a + b == b + a and a + Metrics() == a
    assert Metrics.from_row(dict(zip(METRIC_COLUMNS, (a + b).as_row(), strict=True))) == a + b


@given(figures)
def test_a_bucket_read_back_is_the_bucket(m: Metrics) -> None:
    row = dict(zip(METRIC_COLUMNS, m.as_row(), strict=True))
    assert Metrics.from_row(row) == m
    assert Metrics.from_row(dict.fromkeys(METRIC_COLUMNS)) == Metrics()  # a sum over nothing is zero


def test_rates_and_completion_round_half_up_to_four_places() -> None:
    assert rate(5, 6) == 0.8333 and rate(2, 3) == 0.6667 and rate(1, 8) == 0.125 and rate(3, 0) is None
    assert completion(Decimal("1"), Decimal("20000")) == 0.0001  # 0.00005 rounds up, never to even
    assert completion(Decimal("980000.00"), Decimal("2000000.00")) == 0.49
    assert completion(Decimal("5"), None) is None and completion(Decimal("5"), Decimal("0")) is None
    assert completion(Decimal("3000000.00"), Decimal("2000000.00")) == 1.5  # a target beaten
    targets = {"subscriptions_amount": Decimal("4000000.00"), "contracts_amount": None}
    done = Metrics(subscriptions=Deals(2, Decimal("1"), Decimal("2930000.00")), collected=Decimal("10.00"))
    assert completions(done, targets) == {"subscriptions_amount": 0.7325, "contracts_amount": None, "collected": None}


@given(st.integers(0, 10**6), st.integers(1, 10**6))
def test_a_rate_is_the_exact_share_rounded_half_up(part: int, whole: int) -> None:
    exact = Decimal(part) / Decimal(whole)
    assert abs(Decimal(str(rate(part, whole))) - exact) <= Decimal("0.00005")


def test_the_funnel_rates_each_stage_from_the_one_before() -> None:
    shaped = funnel_shape({"registered": 6, "visited": 5, "held": 3, "subscribed": 3, "contracted": 2})
    assert shaped == {
        "registered": 6,
        "visited": {"count": 5, "rate": 0.8333},
        "held": {"count": 3, "rate": 0.6},
        "subscribed": {"count": 3, "rate": 1.0},
        "contracted": {"count": 2, "rate": 0.6667},
    }
    empty = funnel_shape({})
    assert empty["registered"] == 0 and empty["visited"] == {"count": 0, "rate": None}


def test_the_league_ranks_by_contracts_then_subscriptions_then_consultant() -> None:
    def sold(contracts: str, subscriptions: str) -> Metrics:
        return Metrics(
            contracts=Deals(1, Decimal("1"), Decimal(contracts)),
            subscriptions=Deals(1, Decimal("1"), Decimal(subscriptions)),
        )

    lines = [
        (sold("100", "900"), "c-b", "p1"),
        (sold("100", "900"), "c-a", "p2"),
        (sold("200", "0"), "c-z", "p1"),
        (sold("100", "950"), "c-y", "p1"),
        (Metrics(new_customers=1), "c-0", "p1"),
    ]
    ranked = [c for m, c, p in sorted(lines, key=lambda line: league_order(*line))]
    assert ranked == ["c-z", "c-y", "c-a", "c-b", "c-0"]
