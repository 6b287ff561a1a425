"""A sales office's years, written at speed (issue 23): customers with follow-ups, calls, call-backs, claims,
referrals, holds and sales, units, deposits, reminders and notifications, for `bench/scale.py` and the plans of
the hot queries (tests/integration/test_hot_queries.py).

Every row is the row the services write: personal data sealed with the run's real key (`Vault`, as registration,
follow-ups, calls and call-backs seal it), phones hashed and masked by the domain's own functions, the due time
computed by the database exactly as for an API write, the needs counted as registration counts them. Only the
events are left out (their outbox rows would have been published and deleted by retention long ago). Rows go in
with COPY, a project's worth at a time: `grow(project, to)` adds customers to a project up to a size, so one run
measures the same group as it grows.
"""

from __future__ import annotations

import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from services.leads.domain import mask_phone, needs_of, normalise_phone, protected_until
from shared.db.pool import json_codecs
from shared.trust.pii import Vault

YEARS = 2  # how long the projects have been selling
CHANNELS = ("phone", "visit", "wechat")
LOSS = ("price", "location", "layout", "competitor", "financing", "timing", "other")
PURPOSES, LAYOUTS, DISTRICTS = ("first_home", "upgrade", "investment"), ("2BR", "3BR", "4BR"), ("Binjiang", "Xihu")


# A project's units (2,000-10,000, issue 23) are fixed when it is built, while its customers grow for years: the
# board (every unit) is measured at the same size at every customer count.
UNITS_PER_PROJECT = 2_000


@dataclass
class Project:
    """One project of the group as seeded so far."""

    id: uuid.UUID
    code: str
    customers: int = 0
    consultants: list[str] = field(default_factory=list)
    units: list[uuid.UUID] = field(default_factory=list)
    phones: int = 0


@dataclass
class Seeder:
    """Writes the group's rows into each service's database (one connection each)."""

    conns: dict[str, asyncpg.Connection]
    vault: Vault
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    rng: random.Random = field(default_factory=lambda: random.Random(23))
    counted: bool = True  # the schema keeps counts of needs (migration 012 of leads; False on an older one)

    async def project(self, code: str) -> Project:
        """A new project in every service's read model (leads, inventory, payments, notifications)."""
        project = Project(uuid.uuid4(), code)
        settings = '{"timezone": "Asia/Shanghai"}'
        await self.conns["inventory"].execute(
            "INSERT INTO projects (id, code, name, settings) VALUES ($1, $2, $2, $3::jsonb)", project.id, code, settings
        )
        await self.conns["leads"].execute(
            "INSERT INTO projects (project_id, code, name) VALUES ($1, $2, $2)", project.id, code
        )
        await self.conns["payments"].execute(
            "INSERT INTO projects (project_id, code) VALUES ($1, $2)", project.id, code
        )
        await self.conns["notifications"].execute("INSERT INTO projects (project_id) VALUES ($1)", project.id)
        return project

    async def grow(self, project: Project, to: int) -> None:
        """Add customers (and all that comes with them) until the project has `to`."""
        wanted = max(5, to // 2000)
        project.consultants += [f"{project.code}-c{i}" for i in range(len(project.consultants), wanted)]
        await self._staff(project)
        await self._units(project, UNITS_PER_PROJECT)  # built before it sells: they do not grow with its customers
        for start in range(project.customers, to, 5_000):
            batch = [self._customer(project) for _ in range(min(5_000, to - start))]
            await self._leads(project, batch)
            await self._other_services(project, batch)
        project.customers = max(project.customers, to)
        for conn in self.conns.values():
            await conn.execute("ANALYZE")

    async def _staff(self, project: Project) -> None:
        await self.conns["leads"].executemany(
            "INSERT INTO staff (staff_id, name) VALUES ($1, $1) ON CONFLICT DO NOTHING",
            [(c,) for c in project.consultants],
        )

    async def _units(self, project: Project, count: int) -> None:
        rows = []
        for n in range(len(project.units), count):
            unit = uuid.uuid4()
            project.units.append(unit)
            building, floor = f"B{n // 400 + 1}", n % 400 // 4 + 1
            price = 2_000_000 + n
            rows.append((unit, project.id, building, f"{floor:02d}{n % 4 + 1:02d}", floor, "3BR", 98, price, price))
        columns = ["id", "project_id", "building", "number", "floor", "layout", "area_m2", "list_price", "floor_price"]
        await self.conns["inventory"].copy_records_to_table("units", records=rows, columns=columns)

    def _customer(self, project: Project) -> dict[str, Any]:
        """One customer's whole history, as plain values (sealed when written)."""
        rng, now = self.rng, self.now
        project.phones += 1
        registered = now - timedelta(seconds=rng.uniform(0, YEARS * 365 * 86400))
        room = min(40 * 86400.0, (now - registered).total_seconds() - 60)  # follow-ups within 40 days, none ahead
        touches = sorted(registered + timedelta(seconds=rng.uniform(0, max(room, 1))) for _ in range(2))
        needs = {
            "purpose": rng.choice(PURPOSES),
            "layouts": [rng.choice(LAYOUTS)],
            "districts": [rng.choice(DISTRICTS)],
        }
        closed = touches[-1] + timedelta(days=3) if rng.random() < 0.15 else None
        return {
            "id": uuid.uuid4(),
            "owner": rng.choice(project.consultants),
            "phone": normalise_phone(f"13{project.code[-3:]}{project.phones:06d}"),
            "registered": registered,
            "touches": touches,
            "grade": rng.choice(("A", "B", "C", None)),
            "profile": {"basic": {"occupation": "engineer"}, "needs": needs},
            "closed": min(closed, now) if closed else None,
        }

    async def _leads(self, project: Project, batch: list[dict[str, Any]]) -> None:
        await self._customers(project, batch)
        await self._followups(batch)
        await self._calls_and_callbacks(project, batch)
        await self._claims_and_referrals(project, batch)
        await self._deals(project, batch)
        await self._needs(project, batch)

    async def _customers(self, project: Project, batch: list[dict[str, Any]]) -> None:
        rows = [self._customer_row(project, c) for c in batch]
        columns = _CUSTOMER_COLUMNS if self.counted else _CUSTOMER_COLUMNS[:-1]
        rows = rows if self.counted else [row[:-1] for row in rows]
        await self.conns["leads"].copy_records_to_table("customers", records=rows, columns=columns)
        timeline = [(c["id"], c["registered"], "registered", _owner_detail(c), None) for c in batch]
        await self._timeline(timeline)

    def _customer_row(self, project: Project, c: dict[str, Any]) -> tuple[Any, ...]:
        v, last = self.vault, c["touches"][-1]
        next_contact = last + timedelta(days=7)
        return (
            c["id"], project.id, c["owner"], v.encrypt(f"客户{c['phone'][-6:]}"), v.encrypt(c["phone"]),
            v.phone_hash(c["phone"]), mask_phone(c["phone"]), "walk_in", "customer", c["grade"], False,
            c["registered"], last, protected_until(last, 20), next_contact, v.encrypt_json(c["profile"]),
            v.encrypt_json([]), c["closed"], rng_reason(self.rng) if c["closed"] else None, c["registered"],
        )  # fmt: skip

    async def _timeline(self, rows: list[tuple[Any, ...]]) -> None:
        columns = ["customer_id", "at", "kind", "detail", "event_id"]
        await self.conns["leads"].copy_records_to_table("timeline", records=rows, columns=columns)

    async def _followups(self, batch: list[dict[str, Any]]) -> None:
        rows, timeline = [], []
        for c in batch:
            for at in c["touches"]:
                channel = self.rng.choice(CHANNELS)
                said = {"channel": channel, "next_contact_at": (at + timedelta(days=7)).isoformat(), "by": c["owner"]}
                content = self.vault.encrypt("回访")
                rows.append((uuid.uuid4(), c["id"], c["owner"], channel, content, None, at + timedelta(days=7), at))
                timeline.append((c["id"], at, "followup", said, None))
        columns = ["id", "customer_id", "consultant_id", "channel", "content_enc", "feedback_enc", "next_contact_at"]
        await self.conns["leads"].copy_records_to_table("followups", records=rows, columns=[*columns, "at"])
        await self._timeline(timeline)

    async def _calls_and_callbacks(self, project: Project, batch: list[dict[str, Any]]) -> None:
        calls, callbacks = [], []
        for i, c in enumerate(batch):
            rang = c["touches"][0]
            if i % 2 == 0:
                answered = rang + timedelta(seconds=self.rng.choice((5, 10, 25)))
                rings = 1 + int((answered - rang).total_seconds() // 6)
                calls.append(
                    (uuid.uuid4(), project.id, c["owner"], rang, answered, rings, c["id"], mask_phone(c["phone"]))
                )
            if i % 10 == 0:
                due = c["touches"][-1] + timedelta(days=2)
                done = due < self.now - timedelta(days=3)
                callbacks.append(
                    (uuid.uuid4(), project.id, c["id"], c["owner"], due, self.vault.encrypt("回电"),
                     "done" if done else "scheduled", c["touches"][-1], due if done else None)
                )  # fmt: skip
        await self.conns["leads"].copy_records_to_table("calls", records=calls, columns=_CALL_COLUMNS)
        await self.conns["leads"].copy_records_to_table("callbacks", records=callbacks, columns=_CALLBACK_COLUMNS)

    async def _claims_and_referrals(self, project: Project, batch: list[dict[str, Any]]) -> None:
        claims, referrals = [], []
        for i, c in enumerate(batch):
            others = [x for x in project.consultants if x != c["owner"]]
            if i % 100 == 0 and others:
                filed, status = c["touches"][0] + timedelta(hours=1), "open" if i % 200 == 0 else "decided"
                reason = self.vault.encrypt("我先接待的")
                claims.append((uuid.uuid4(), project.id, c["id"], self.rng.choice(others), c["owner"], reason, status))
                claims[-1] += (filed,)
            if i % 50 == 1:
                referrals.append((uuid.uuid4(), project.id, batch[i - 1]["id"], c["id"], c["registered"]))
        columns = ["id", "project_id", "customer_id", "claimant_id", "owner_id", "reason_enc", "status", "filed_at"]
        await self.conns["leads"].copy_records_to_table("claims", records=claims, columns=columns)
        columns = ["id", "project_id", "referrer_customer_id", "customer_id", "registered_at"]
        await self.conns["leads"].copy_records_to_table("referrals", records=referrals, columns=columns)

    async def _deals(self, project: Project, batch: list[dict[str, Any]]) -> None:
        """3 % hold a unit (leads' read model), half of them buy; a third of the buyers are with after-sales."""
        holds, sales = [], []
        for i, c in enumerate(batch):
            if i % 33 == 0 and project.units:
                unit, hold = self.rng.choice(project.units), uuid.uuid4()
                holds.append((hold, unit, c["id"], c["owner"], "B1", "0101", c["touches"][-1]))
                if i % 66 == 0:
                    since = c["touches"][-1] + timedelta(days=60) if i % 198 == 0 else None
                    sales.append((uuid.uuid4(), unit, c["id"], c["owner"], since))
        columns = ["hold_id", "unit_id", "customer_id", "consultant_id", "building", "number", "locked_at"]
        await self.conns["leads"].copy_records_to_table("holds", records=holds, columns=columns)
        columns = ["sale_id", "unit_id", "customer_id", "credited_to", "aftersales_since"]
        await self.conns["leads"].copy_records_to_table("sales", records=sales, columns=columns)

    async def _needs(self, project: Project, batch: list[dict[str, Any]]) -> None:
        """What registration counts (R11): each customer's needs under the quarter hour they registered in."""
        if not self.counted:
            return
        counts: Counter[tuple[datetime, str]] = Counter()
        for c in batch:
            at = c["registered"]
            quarter = at.replace(minute=at.minute // 15 * 15, second=0, microsecond=0)
            for need, n in needs_of(c["profile"]).items():
                counts[(quarter, need)] += n
        await self.conns["leads"].executemany(
            "INSERT INTO needs_asked (project_id, registered_in, need, customers) VALUES ($1, $2, $3, $4)"
            " ON CONFLICT (project_id, registered_in, need) DO UPDATE SET customers = needs_asked.customers + $4",
            [(project.id, at, need, n) for (at, need), n in counts.items()],
        )

    async def _other_services(self, project: Project, batch: list[dict[str, Any]]) -> None:
        """Who owns whom everywhere; deposits (payments) and reminders and messages (notifications)."""
        owners = [(c["id"], project.id, c["owner"], c["registered"]) for c in batch]
        for name in ("inventory", "payments", "notifications"):
            await self.conns[name].copy_records_to_table("customer_owners", records=owners, columns=_OWNER_COLUMNS)
        reminders, messages = [], []
        for i, c in enumerate(batch[::5]):
            due = c["touches"][-1] + timedelta(days=1)
            rid = uuid.uuid4()
            reminders.append((rid, project.id, c["id"], "callback", str(rid), f"seed:{rid}", f"staff:{c['owner']}",
                              "in_app", "回电提醒", due, due, "sent" if due < self.now else "scheduled"))  # fmt: skip
            messages.append((uuid.uuid4(), rid, project.id, f"staff:{c['owner']}", "in_app", "回电提醒", "sent", due))
            del i
        await self.conns["notifications"].copy_records_to_table(
            "reminders", records=reminders, columns=_REMINDER_COLUMNS
        )
        columns = ["id", "reminder_id", "project_id", "recipient", "channel", "body", "status", "at"]
        await self.conns["notifications"].copy_records_to_table("notifications", records=messages, columns=columns)
        await self._deposits(project, batch)

    async def _deposits(self, project: Project, batch: list[dict[str, Any]]) -> None:
        rows = [
            (uuid.uuid4(), project.id, uuid.uuid4(), self.rng.choice(project.units), c["id"], c["owner"], 50_000,
             "transfer", "savings", "verified", c["touches"][-1])
            for c in batch[::66] if project.units
        ]  # fmt: skip
        columns = ["id", "project_id", "hold_id", "unit_id", "customer_id", "taken_by", "amount", "method"]
        columns += ["source_of_funds", "status", "taken_at"]
        await self.conns["payments"].copy_records_to_table("deposits", records=rows, columns=columns)


async def connect(dsn: str) -> asyncpg.Connection:
    """A connection with the services' JSON codecs, jsonb in binary so that COPY takes it."""
    conn = await asyncpg.connect(dsn)
    await json_codecs(conn)
    await conn.set_type_codec(
        "jsonb",
        schema="pg_catalog",
        encoder=lambda value: b"\x01" + orjson.dumps(value),
        decoder=lambda data: orjson.loads(data[1:]),
        format="binary",
    )
    return conn


def rng_reason(rng: random.Random) -> str:
    return rng.choice(LOSS)


def _owner_detail(c: dict[str, Any]) -> dict[str, str]:
    return {"owner_id": c["owner"], "source": "walk_in", "visitor_type": "customer"}


_CUSTOMER_COLUMNS = [
    "id", "project_id", "owner_id", "name_enc", "phone_enc", "phone_hash", "phone_masked", "source", "visitor_type",
    "grade", "consent_share", "registered_at", "last_touch_at", "protected_until", "next_contact_at", "profile_enc",
    "tags_enc", "closed_at", "close_reason", "needs_counted_at",
]  # fmt: skip
_CALL_COLUMNS = ["id", "project_id", "consultant_id", "rang_at", "answered_at", "rings", "customer_id", "caller_masked"]
_CALLBACK_COLUMNS = [
    "id", "project_id", "customer_id", "consultant_id", "due_at", "purpose_enc", "status", "scheduled_at", "done_at",
]  # fmt: skip
_OWNER_COLUMNS = ["customer_id", "project_id", "owner_id", "changed_at"]
_REMINDER_COLUMNS = [
    "id", "project_id", "customer_id", "kind", "offset_label", "source_event", "recipient", "channel", "body",
    "due_at", "send_at", "status",
]  # fmt: skip
