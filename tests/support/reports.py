"""Issue 22: a known day of a group's sales offices, walked into leads (its own steps with an explicit clock, the
other services' events through leads' own handlers), with the figures it must give, per project, per consultant
and for the org. Three projects under one org unit: walk-in and phone registrations, a key visitor (R5) who must
not count, visit and phone follow-ups, calls within and beyond 3 rings, holds, deposits, subscriptions and
contracts at known prices and areas, a cancellation, a refund, payments and a handover."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from services.leads import use_cases
from services.leads.app import event_handlers
from shared.messaging import topics as t
from shared.messaging.envelope import Envelope, new_envelope
from shared.trust.pii import Vault

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment of `day` in Shanghai, in UTC."""
    return datetime.combine(day, time(hour, minute), SHANGHAI).astimezone(UTC)


def _id() -> str:
    return str(uuid.uuid4())


@dataclass
class Walk:
    """The ids of one walked day: the org units, the three projects (A1, B2, C3), consultants, customers."""

    day: date
    root: str = field(default_factory=_id)
    org: str = field(default_factory=_id)  # the region the three projects are under
    sibling: str = field(default_factory=_id)  # another region of the same group, with no project
    projects: dict[str, str] = field(default_factory=lambda: {code: _id() for code in ("A1", "B2", "C3")})
    consultants: dict[str, str] = field(default_factory=dict)  # c1, c2 (A1), c3 (B2), c4 (C3): their staff ids
    customers: dict[str, str] = field(default_factory=dict)


class Walker:
    """Drives one Walk into a running leads app (in-process) with the test settings' vault."""

    def __init__(self, leads: Any, settings: Any, day: date) -> None:
        self.leads, self.vault = leads, Vault(settings.pii_key)
        self.handlers = event_handlers(self.vault)
        self.walk = Walk(day)
        suffix = uuid.uuid4().hex[:6]
        self.walk.consultants = {c: f"{c}-{suffix}" for c in ("c1", "c2", "c3", "c4")}

    async def event(self, topic: t.Topic, data: dict, project: str | None, moment: datetime) -> Envelope:
        """An event of another service, applied as leads' inbox would (every handler of its topic, one transaction)."""
        body = topic.data_model.model_validate(data).model_dump(mode="json")
        env = new_envelope(topic.event_type, body, producer=topic.producer, project_id=project)
        env = env.model_copy(update={"occurred_at": moment})
        async with self.leads.pool.acquire() as conn, conn.transaction():
            await self.handlers[topic](conn, env, topic.data_model.model_validate(env.data))
        return env

    async def tree(self) -> None:
        w = self.walk
        for org, parent, code in ((w.root, None, "GRP"), (w.org, w.root, "EAST"), (w.sibling, w.root, "WEST")):
            path = [w.root] if parent is None else [w.root, org]
            body = {"org_id": org, "code": code, "name": f"{code} 区域", "parent_id": parent, "path_ids": path}
            await self.event(t.ORG_CHANGED, body | {"path": code}, None, at(w.day, 7))
        for code, pid in w.projects.items():
            body = {"project_id": pid, "code": code, "name": f"项目 {code}", "org_id": w.org, "settings": {}}
            await self.event(t.PROJECT_CREATED, body, pid, at(w.day, 7))

    async def register(self, name: str, code: str, consultant: str, source: str, **extra: Any) -> str:
        command = use_cases.RegisterCustomer(
            uuid.UUID(self.walk.projects[code]), self.walk.consultants[consultant], name, None, source, **extra
        )
        async with self.leads.pool.acquire() as conn:
            answer, _ = await use_cases.register_customer(conn, self.vault, command, now=at(self.walk.day, 9, 30))
        self.walk.customers[name] = answer["id"]
        return answer["id"]

    async def follow_up(self, name: str, consultant: str, channel: str, hour: int) -> None:
        moment = at(self.walk.day, hour)
        command = use_cases.RecordFollowup(
            uuid.UUID(self.walk.customers[name]),
            self.walk.consultants[consultant],
            channel,
            "talked",
            moment + timedelta(days=2),
        )
        async with self.leads.pool.acquire() as conn:
            await use_cases.record_followup(conn, self.vault, command, now=moment)

    async def call(self, code: str, consultant: str, answered_after: float | None) -> None:
        rang = at(self.walk.day, 11)
        answered = None if answered_after is None else rang + timedelta(seconds=answered_after)
        command = use_cases.LogCall(
            uuid.UUID(self.walk.projects[code]), self.walk.consultants[consultant], rang, answered
        )
        async with self.leads.pool.acquire() as conn:
            await use_cases.log_call(conn, self.vault, command)

    async def sale(self, code: str, name: str, consultant: str, unit: tuple[str, str, str], steps: str) -> dict:
        """A unit (list price, area, price) held for a customer and taken through `steps`: deposit, subscribe,
        contract, pay, cancel (with its refund), handover — in that order, each an event of its service."""
        list_price, area, price = unit
        pid, cid, who = self.walk.projects[code], self.walk.customers[name], self.walk.consultants[consultant]
        ids = {"unit_id": _id(), "hold_id": _id(), "sale_id": _id(), "customer_id": cid}
        held = {**{k: ids[k] for k in ("unit_id", "hold_id", "customer_id")}, "consultant_id": who}
        held |= {"building": "1", "number": name, "expires_at": at(self.walk.day, 23).isoformat()}
        await self.event(t.UNIT_LOCKED, held | {"list_price": list_price, "area_m2": area}, pid, at(self.walk.day, 12))
        for step in steps.split():
            await self._step(step, pid, ids, who, (price, area))
        return ids

    async def _step(self, step: str, pid: str, ids: dict, who: str, deal: tuple[str, str]) -> None:
        price, area = deal
        day, sale = self.walk.day, {k: ids[k] for k in ("sale_id", "unit_id", "customer_id")}
        if step.startswith("deposit") or step.startswith("refund"):
            amount = step.split(":")[1]
            deposit = {k: ids[k] for k in ("unit_id", "hold_id", "customer_id")} | {"amount": amount}
            deposit |= {"deposit_id": ids.setdefault("deposit_id", _id())}
            if step.startswith("deposit"):
                extra = {"receipt_no": "R-" + ids["deposit_id"][:6], "verified_by": ["f1", "f2"]}
                await self.event(t.DEPOSIT_VERIFIED, deposit | extra, pid, at(day, 13))
            else:
                await self.event(t.DEPOSIT_REFUNDED, deposit, pid, at(day, 17))
        elif step == "subscribe":
            down = {"amount": "100000.00", "due_date": (day + timedelta(days=30)).isoformat()}
            body = sale | {"price": price, "area_m2": area, "down_payment": down, "consultant_id": who}
            await self.event(t.SUBSCRIPTION_SIGNED, body | {"hold_id": ids["hold_id"]}, pid, at(day, 14))
        elif step == "contract":
            body = sale | {"contract_no": "HT-" + ids["sale_id"][:6], "signed_at": at(day, 15).isoformat()}
            await self.event(t.CONTRACT_SIGNED, body | {"price": price, "area_m2": area}, pid, at(day, 15))
        elif step.startswith("pay"):
            body = sale | {"payment_id": _id(), "kind": "down_payment", "amount": step.split(":")[1]}
            await self.event(t.PAYMENT_RECEIVED, body, pid, at(day, 16))
        elif step == "cancel":
            await self.event(t.SALE_CANCELLED, sale | {"reason": "changed mind"}, pid, at(day, 16, 30))
        elif step == "handover":
            await self.event(t.HANDOVER_COMPLETED, sale | {"handed_over_at": at(day, 18).isoformat()}, pid, at(day, 18))

    async def day_of_sales(self) -> Walk:
        """The known day (see the module's docstring and EXPECTED)."""
        await self.tree()
        for name, code, consultant, source, extra in (
            ("W1", "A1", "c1", "walk_in", {}),
            ("Ph1", "A1", "c1", "phone_call", {}),
            ("K1", "A1", "c1", "walk_in", {"visitor_type": "competitor_peer"}),  # R5: counts in nothing
            ("W2", "A1", "c2", "walk_in", {}),
            ("X1", "B2", "c3", "walk_in", {}),
            ("X2", "B2", "c3", "online", {}),
            ("Y1", "C3", "c4", "walk_in", {}),
        ):
            await self.register(name, code, consultant, source, **extra)
        await self.follow_up("Ph1", "c1", "visit", 10)  # a visit
        await self.follow_up("W1", "c1", "phone", 19)  # not a visit
        await self.follow_up("K1", "c1", "visit", 10)  # a key visitor's visit: not counted
        for code, consultant, seconds in (("A1", "c1", 10), ("A1", "c1", 20), ("A1", "c2", None), ("C3", "c4", 15)):
            await self.call(code, consultant, seconds)
        await self.sale(
            "A1", "W1", "c1", ("1000000.00", "89.50", "980000.00"), "deposit:20000.00 subscribe contract pay:300000.00"
        )
        await self.sale(
            "A1",
            "W2",
            "c2",
            ("2000000.00", "120.00", "1950000.00"),
            "deposit:50000.00 subscribe cancel refund:50000.00",
        )
        await self.sale(
            "B2", "X1", "c3", ("1500000.00", "100.00", "1480000.00"), "deposit:30000.00 subscribe contract handover"
        )
        return self.walk


def deals(count: int, area: str, amount: str) -> dict:
    return {"count": count, "area_m2": area, "amount": amount}


NONE = deals(0, "0.00", "0.00")


def metrics(**given: Any) -> dict:
    """The contract's metrics: zero but for `given`."""
    zero = {"new_customers": 0, "visits": 0, "calls": 0, "calls_within_3_rings": 0, "holds": NONE}
    zero |= {"subscriptions": NONE, "contracts": NONE, "cancellations": 0, "collected": "0.00"}
    return zero | {"refunded": "0.00", "handovers": 0} | given


def summed(*parts: dict) -> dict:
    """The metrics of a whole (a project, the organisation) from its parts': counts added, amounts and areas too."""

    def add(values: list) -> Any:
        if isinstance(values[0], dict):
            return {key: add([v[key] for v in values]) for key in values[0]}
        if isinstance(values[0], str):
            return f"{sum(Decimal(v) for v in values):.2f}"
        return sum(values)

    return {key: add([part[key] for part in parts]) for key in parts[0]}


# What the day gives, worked out by hand from `day_of_sales`.
# A table, one consultant in two or three lines:
# fmt: off
EXPECTED_CONSULTANTS = {
    "c1": metrics(new_customers=2, visits=2, calls=2, calls_within_3_rings=1, collected="320000.00",
                  holds=deals(1, "89.50", "1000000.00"), subscriptions=deals(1, "89.50", "980000.00"),
                  contracts=deals(1, "89.50", "980000.00")),
    "c2": metrics(new_customers=1, visits=1, calls=1, cancellations=1, collected="50000.00", refunded="50000.00",
                  holds=deals(1, "120.00", "2000000.00"), subscriptions=deals(1, "120.00", "1950000.00")),
    "c3": metrics(new_customers=2, visits=1, collected="30000.00", handovers=1, holds=deals(1, "100.00", "1500000.00"),
                  subscriptions=deals(1, "100.00", "1480000.00"), contracts=deals(1, "100.00", "1480000.00")),
    "c4": metrics(new_customers=1, visits=1, calls=1, calls_within_3_rings=1),
}
# fmt: on
# A project, and the organisation, is the sum of its consultants' figures.
EXPECTED_PROJECTS = {
    "A1": summed(EXPECTED_CONSULTANTS["c1"], EXPECTED_CONSULTANTS["c2"]),
    "B2": EXPECTED_CONSULTANTS["c3"],
    "C3": EXPECTED_CONSULTANTS["c4"],
}
EXPECTED_ORG = summed(*EXPECTED_PROJECTS.values())
EXPECTED_FUNNEL = {
    "registered": 6,
    "visited": {"count": 5, "rate": 0.8333},
    "held": {"count": 3, "rate": 0.6},
    "subscribed": {"count": 3, "rate": 1.0},
    "contracted": {"count": 2, "rate": 0.6667},
}
EXPECTED_LEAGUE = ["c3", "c1", "c2", "c4"]  # contracts amount, then subscriptions amount, then id
