"""The group's report figures (issue 22, 日报/月报): the contract's metrics of one bucket (a project's local day, one
consultant), what each event adds to its bucket, and the arithmetic of roll-ups, targets (指标) and the funnel.
Pure: the store keeps the buckets, this says what they hold and how they add up."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.leads.domain.customers import RING_SECONDS, RING_TARGET

__all__ = [
    "DEAL_METRICS",
    "FUNNEL_STAGES",
    "METRIC_COLUMNS",
    "METRIC_NAMES",
    "TARGETS",
    "WITHIN_3_RINGS_SECONDS",
    "Deals",
    "Metrics",
    "achieved",
    "completion",
    "completions",
    "funnel_shape",
    "league_order",
    "rate",
    "total",
]

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
WITHIN_3_RINGS_SECONDS = RING_SECONDS * RING_TARGET  # R1, contract v1.2: within 3 rings = answered within 15 s
DEAL_METRICS = ("holds", "subscriptions", "contracts")  # each {count, area_m2, amount}
DEAL_PARTS = ("count", "area_m2", "amount")
FUNNEL_STAGES = ("visited", "held", "subscribed", "contracted")  # after `registered`, in the order customers go
TARGETS = ("subscriptions_amount", "contracts_amount", "collected")  # the month's targets (指标), money


@dataclass(frozen=True)
class Deals:
    """Units in one step of the sale: how many, their area (m²) and their amount (yuan, to the fen)."""

    count: int = 0
    area_m2: Decimal = ZERO
    amount: Decimal = ZERO

    def __add__(self, other: Deals) -> Deals:
        return Deals(self.count + other.count, self.area_m2 + other.area_m2, self.amount + other.amount)

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "area_m2": _two(self.area_m2), "amount": _two(self.amount)}


@dataclass(frozen=True)
class Metrics:
    """Every metric of the contract's reports for one bucket or a sum of buckets, in the contract's order. Key
    visitors (R5) count in none of them."""

    new_customers: int = 0  # registered
    visits: int = 0  # walk-in registrations and follow-ups on site
    calls: int = 0  # R1, R2: inbound calls
    calls_within_3_rings: int = 0  # answered within 15 s
    holds: Deals = Deals()  # at the unit's list price when held
    subscriptions: Deals = Deals()  # 认购, at the sale's price
    contracts: Deals = Deals()  # 签约, at the sale's price
    cancellations: int = 0  # 退订
    collected: Decimal = ZERO  # 回款: deposits verified and payments received, gross
    refunded: Decimal = ZERO  # deposits refunded
    handovers: int = 0  # 交房

    def __add__(self, other: Metrics) -> Metrics:
        return Metrics(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)})

    def is_zero(self) -> bool:
        return self == Metrics()

    def as_json(self) -> dict[str, Any]:
        """The metrics as the contract answers them: counts as numbers, areas and money as decimal strings."""
        return {f.name: _json_value(getattr(self, f.name)) for f in fields(self)}

    def as_row(self) -> tuple[Any, ...]:
        """The metrics flat, in `METRIC_COLUMNS` order (a bucket's columns, a spreadsheet's cells)."""
        return tuple(_flat(self))

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Metrics:
        """A bucket (or a sum of buckets) read back by its `METRIC_COLUMNS`; a missing sum is zero."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in DEAL_METRICS:
                parts = [row[f"{f.name}_{part}"] for part in DEAL_PARTS]
                values[f.name] = Deals(int(parts[0] or 0), _money(parts[1]), _money(parts[2]))
            else:
                values[f.name] = _money(row[f.name]) if isinstance(f.default, Decimal) else int(row[f.name] or 0)
        return cls(**values)

    # What one event adds to its bucket (the caller has already left key visitors out, R5).

    @staticmethod
    def registered(source: str | None) -> Metrics:
        """A new customer (R3, R6); a walk-in is also a visit (R4: everyone who comes in is registered)."""
        return Metrics(new_customers=1, visits=1 if source == "walk_in" else 0)

    @staticmethod
    def followed_up(channel: str | None) -> Metrics:
        """A follow-up counts only when it was a visit to the sales office (R16)."""
        return Metrics(visits=1 if channel == "visit" else 0)

    @staticmethod
    def call(answer_seconds: float | None) -> Metrics:
        """R1: an inbound call, within 3 rings when answered within 15 s."""
        within = answer_seconds is not None and answer_seconds <= WITHIN_3_RINGS_SECONDS
        return Metrics(calls=1, calls_within_3_rings=int(within))

    @staticmethod
    def deal(step: str, price: Decimal | None, area: Decimal | None) -> Metrics:
        """A unit held, subscribed or contracted: one, with its area and price (unknown: nothing added)."""
        deals = Deals(1, _money(area), _money(price))
        steps = {"holds": Metrics(holds=deals), "subscriptions": Metrics(subscriptions=deals)}
        return steps.get(step) or Metrics(contracts=deals)


METRIC_NAMES: tuple[str, ...] = tuple(f.name for f in fields(Metrics))  # the contract's metrics, in its order
METRIC_COLUMNS: tuple[str, ...] = tuple(
    f"{f.name}_{part}" if f.name in DEAL_METRICS else f.name
    for f in fields(Metrics)
    for part in (DEAL_PARTS if f.name in DEAL_METRICS else ("",))
)


def total(parts: Iterable[Metrics]) -> Metrics:
    """The roll-up: exactly the sum of its parts (a group's figure is the sum of its projects')."""
    out = Metrics()
    for part in parts:
        out = out + part
    return out


def rate(part: int, whole: int) -> float | None:
    """A share as the contract answers it: a JSON number rounded half-up to 4 places; None when `whole` is 0."""
    if whole == 0:
        return None
    return float((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def completion(actual: Decimal, target: Decimal | None) -> float | None:
    """A target's share met (完成率): actual ÷ target, half-up to 4 places; None without a target (or a zero one)."""
    if target is None or target == 0:
        return None
    return float((actual / target).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP))


def achieved(metrics: Metrics) -> dict[str, Decimal]:
    """What each target measures: the subscriptions' amount, the contracts' amount, the money collected."""
    return {
        "subscriptions_amount": metrics.subscriptions.amount,
        "contracts_amount": metrics.contracts.amount,
        "collected": metrics.collected,
    }


def completions(metrics: Metrics, targets: Mapping[str, Decimal | None]) -> dict[str, float | None]:
    """Each target's completion for these metrics."""
    done = achieved(metrics)
    return {name: completion(done[name], targets.get(name)) for name in TARGETS}


def funnel_shape(counts: Mapping[str, int]) -> dict[str, Any]:
    """The funnel as the contract answers it: how many registered, then each stage's count and its rate from the
    stage before (registered → visited → held → subscribed → contracted)."""
    shaped: dict[str, Any] = {"registered": counts.get("registered", 0)}
    before = shaped["registered"]
    for stage in FUNNEL_STAGES:
        count = counts.get(stage, 0)
        shaped[stage] = {"count": count, "rate": rate(count, before)}
        before = count
    return shaped


def league_order(metrics: Metrics, consultant_id: str, project_id: str) -> tuple[Any, ...]:
    """The league's order (contract v1.2): contracts amount, then subscriptions amount, both highest first, then
    the consultant id (and the project, for one consultant in two projects)."""
    return (-metrics.contracts.amount, -metrics.subscriptions.amount, consultant_id, project_id)


def _money(value: Any) -> Decimal:
    """An amount or area to the fen (two places, half up); nothing is zero."""
    return ZERO if value is None else Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _two(value: Decimal) -> str:
    return str(value.quantize(CENT))


def _json_value(value: Any) -> Any:
    if isinstance(value, Deals):
        return value.as_json()
    return _two(value) if isinstance(value, Decimal) else value


def _flat(metrics: Metrics) -> Iterable[Any]:
    for f in fields(metrics):
        value = getattr(metrics, f.name)
        if isinstance(value, Deals):
            yield from (value.count, value.area_m2.quantize(CENT), value.amount.quantize(CENT))
        else:
            yield value.quantize(CENT) if isinstance(value, Decimal) else value
