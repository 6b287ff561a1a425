"""Leads use cases that keep the group's report figures (issue 22): every event a report counts is kept once and
added to its bucket — its project's local day and the consultant it counts for — in the transaction that applies
it (the inbox's for other services' events, the use case's for leads' own registrations, follow-ups and calls).
Key visitors (R5) count in no metric; a sale counts for the consultant credited under R10, else the one who held
the unit. `rebuild` replays the kept events into fresh buckets."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import Metrics, is_key_visitor, local_day
from services.leads.store import reports as report_store
from shared.messaging.envelope import Envelope
from shared.runtime.logs import log

# The moment an event's figure belongs to, when the event names one (a contract signed, keys handed over); else
# when it happened.
_WHEN = {"contract-signed": "signed_at", "handover-completed": "handed_over_at"}


@dataclass(frozen=True)
class Fact:
    """One event as the reports keep it: its id, kind (the event type), project, moment and data."""

    event_id: uuid.UUID
    kind: str
    project_id: uuid.UUID
    at: datetime
    data: Mapping[str, Any]


def fact_of(env: Envelope, at: datetime | None = None) -> Fact | None:
    """The fact an event's envelope tells (None for an event of no project)."""
    if env.project_id is None:
        return None
    when = env.data.get(_WHEN.get(env.type, ""))
    moment = at or (datetime.fromisoformat(when) if isinstance(when, str) else when) or env.occurred_at
    return Fact(env.id, env.type, uuid.UUID(env.project_id), moment, env.data)


async def count_event(conn: asyncpg.Connection, env: Envelope, at: datetime | None = None) -> None:
    """Issue 22: an event's figures, added once to its bucket in the caller's transaction."""
    fact = fact_of(env, at)
    if fact is None:
        log("report_event_without_project", event_type=env.type, event_id=str(env.id))
        return
    await count_fact(conn, fact)


async def count_fact(conn: asyncpg.Connection, fact: Fact) -> None:
    """Keep a fact once and add it to its buckets; a fact seen before changes nothing."""
    await report_store.applying(conn)
    if await report_store.journal(conn, fact.event_id, fact.kind, fact.project_id, fact.at, dict(fact.data)):
        await apply_fact(conn, fact)


async def apply_fact(conn: asyncpg.Connection, fact: Fact, day: date | None = None) -> None:
    """What a fact adds, on its project's local day (a kind the reports do not count adds nothing)."""
    count = _KINDS.get(fact.kind)
    if count is not None:
        day = day or local_day(fact.at, await store.project_timezone(conn, fact.project_id))
        await count(conn, fact, day)


async def rebuild(conn: asyncpg.Connection, since: date) -> int:
    """`estate reports rebuild`: every bucket from `since` on made again from the kept events, alone (events wait
    for it), in one transaction; how many events were replayed."""
    replayed = 0
    async with conn.transaction():
        await report_store.rebuilding(conn)
        await report_store.clear_since(conn, since)
        zones: dict[uuid.UUID, str] = {}
        start = datetime.combine(since - timedelta(days=1), time(), tzinfo=UTC)  # `since` in every zone
        async for row in report_store.journal_since(conn, start):
            fact = Fact(row["event_id"], row["kind"], row["project_id"], row["at"], row["data"])
            if fact.project_id not in zones:
                zones[fact.project_id] = await store.project_timezone(conn, fact.project_id)
            day = local_day(fact.at, zones[fact.project_id])
            if day >= since:
                await apply_fact(conn, fact, day)
                replayed += 1
    log("reports_rebuilt", since=str(since), events=replayed)
    return replayed


Counter = Callable[[asyncpg.Connection, Fact, date], Awaitable[None]]


async def _add(conn: asyncpg.Connection, fact: Fact, day: date, consultant: str | None, metrics: Metrics) -> None:
    if not metrics.is_zero():
        await report_store.add_to_day(conn, fact.project_id, day, consultant or "", metrics.as_row())


async def _key_visitor(conn: asyncpg.Connection, customer_id: Any) -> bool:
    """R5: staff and peers count in no metric (a customer leads does not know is counted)."""
    if not customer_id:
        return False
    kind = await report_store.visitor_type(conn, uuid.UUID(str(customer_id)))
    return kind is not None and is_key_visitor(kind)


async def _registered(conn: asyncpg.Connection, fact: Fact, day: date) -> None:
    """A new customer (a walk-in is a visit too) enters the funnel on their day."""
    data, customer = fact.data, uuid.UUID(fact.data["customer_id"])
    if data.get("key_visitor") or await _key_visitor(conn, customer):
        return
    await _add(conn, fact, day, data["owner_id"], Metrics.registered(data.get("source")))
    await report_store.funnel_registered(conn, customer, fact.project_id, day)
    if data.get("source") == "walk_in":
        await report_store.funnel_reached(conn, customer, "visited")


async def _followed_up(conn: asyncpg.Connection, fact: Fact, day: date) -> None:
    """A follow-up on site is a visit (the owner's)."""
    data = fact.data
    if data.get("channel") != "visit" or await _key_visitor(conn, data["customer_id"]):
        return
    await _add(conn, fact, day, data["owner_id"], Metrics.followed_up(data["channel"]))
    await report_store.funnel_reached(conn, uuid.UUID(data["customer_id"]), "visited")


async def _called(conn: asyncpg.Connection, fact: Fact, day: date) -> None:
    """R1, R2: an inbound call, for the consultant who took it."""
    data = fact.data
    if not await _key_visitor(conn, data.get("customer_id")):
        await _add(conn, fact, day, data["consultant_id"], Metrics.call(data.get("answer_seconds")))


def _deal(step: str, price_field: str, stage: str) -> Counter:
    """A unit held (at its list price, for who held it) or sold (at the sale's price, for the seller)."""

    async def count(conn: asyncpg.Connection, fact: Fact, day: date) -> None:
        data = fact.data
        if await _key_visitor(conn, data.get("customer_id")):
            return
        who = data["consultant_id"] if step == "holds" else await _seller(conn, data)
        await _add(conn, fact, day, who, Metrics.deal(step, _amount(data, price_field), _amount(data, "area_m2")))
        await report_store.funnel_reached(conn, uuid.UUID(data["customer_id"]), stage)

    return count


def _sale_step(metrics: Callable[[Mapping[str, Any]], Metrics], of_sale: bool = True) -> Counter:
    """A step of money or of the sale, for the seller (of a sale) or for who held the unit (of a deposit)."""

    async def count(conn: asyncpg.Connection, fact: Fact, day: date) -> None:
        data = fact.data
        if await _key_visitor(conn, data.get("customer_id")):
            return
        who = await _seller(conn, data) if of_sale else await _holder(conn, data)
        await _add(conn, fact, day, who, metrics(data))

    return count


async def _holder(conn: asyncpg.Connection, data: Mapping[str, Any]) -> str | None:
    """The consultant who held the unit: the event's hold, else the customer's latest hold of the unit."""
    row = await store.hold(conn, uuid.UUID(data["hold_id"])) if data.get("hold_id") else None
    if row is None and data.get("unit_id"):
        customer = uuid.UUID(data["customer_id"]) if data.get("customer_id") else None
        row = await store.latest_hold_of_unit(conn, uuid.UUID(data["unit_id"]), customer)
    return row["consultant_id"] if row else None


async def _seller(conn: asyncpg.Connection, data: Mapping[str, Any]) -> str | None:
    """A sale counts for the consultant credited under R10, else the one who held the unit."""
    sale = await store.sale(conn, uuid.UUID(data["sale_id"])) if data.get("sale_id") else None
    if sale is not None and sale["credited_to"]:
        return str(sale["credited_to"])
    return data.get("consultant_id") or await _holder(conn, data)


def _amount(data: Mapping[str, Any], name: str) -> Decimal | None:
    value = data.get(name)
    return None if value is None else Decimal(str(value))


_KINDS: dict[str, Counter] = {
    "customer-registered": _registered,
    "followup-recorded": _followed_up,
    "call-logged": _called,
    "unit-locked": _deal("holds", "list_price", "held"),
    "subscription-signed": _deal("subscriptions", "price", "subscribed"),
    "contract-signed": _deal("contracts", "price", "contracted"),
    "sale-cancelled": _sale_step(lambda d: Metrics(cancellations=1)),
    "handover-completed": _sale_step(lambda d: Metrics(handovers=1)),
    "payment-received": _sale_step(lambda d: Metrics(collected=Decimal(str(d["amount"])))),
    "deposit-verified": _sale_step(lambda d: Metrics(collected=Decimal(str(d["amount"]))), of_sale=False),
    "deposit-refunded": _sale_step(lambda d: Metrics(refunded=Decimal(str(d["amount"]))), of_sale=False),
}
COUNTED_KINDS = frozenset(_KINDS)  # the event types the reports count
