"""Issue 23: the hot queries read by index. Each store function behind a list, a report or a periodic job is called
with a connection that answers every statement with its plan (`EXPLAIN`, nothing runs), on databases seeded with a
group of projects (tests/support/seeding.py). The planner is told to avoid sequential scans wherever it has another
way (`enable_seqscan = off`: a test database is too small for it to prefer an index on its own), so a sequential
scan left in a plan means the query has no index to read by. No table that grows with the business may be read
that way; small ones (projects, staff, digests, broker_state) may."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from services.inventory.store import board
from services.leads import store as leads
from services.leads.store import overdue, visitors
from services.leads.store import weekly_review as review
from services.notifications import store as notifications
from services.payments import store as payments
from shared.db.databases import service_dsn
from shared.db.migrate import migrate_all
from shared.messaging import retention
from shared.runtime.settings import Settings
from shared.trust.pii import Vault
from tests.support.seeding import Project, Seeder, connect

SMALL = frozenset({"projects", "staff", "digests", "broker_state"})
SERVICES = ("leads", "inventory", "payments", "notifications")


class Explaining:
    """A connection that, asked to run a statement, keeps its plan instead (and answers with nothing)."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn, self.plans = conn, list[tuple[str, Any]]()

    async def _explain(self, sql: str, *args: Any) -> None:
        await self.conn.execute("SET enable_seqscan = off")
        self.plans.append((sql, await self.conn.fetchval("EXPLAIN (FORMAT JSON) " + sql, *args)))

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        await self._explain(sql, *args)
        return []

    async def fetchrow(self, sql: str, *args: Any) -> None:
        await self._explain(sql, *args)

    async def fetchval(self, sql: str, *args: Any) -> None:
        await self._explain(sql, *args)

    async def execute(self, sql: str, *args: Any) -> str:
        await self._explain(sql, *args)
        return "DELETE 0"


def _nodes(plan: Any) -> Iterator[dict[str, Any]]:
    for node in plan if isinstance(plan, list) else [plan]:
        inner = node.get("Plan", node)
        yield inner
        for child in inner.get("Plans", []):
            yield from _nodes(child)


def sequential_scans(plan: Any) -> list[str]:
    """The growing tables a plan reads whole."""
    scans = [n.get("Relation Name", "") for n in _nodes(plan) if n.get("Node Type") == "Seq Scan"]
    return [table for table in scans if table not in SMALL]


@pytest.fixture(scope="module")
async def group(settings: Settings) -> Any:
    """Four service databases of their own: a group of five projects; the one the queries ask about is small."""
    mine = settings.model_copy(update={"db_prefix": f"h{uuid.uuid4().hex[:6]}_"})
    await migrate_all(mine, SERVICES)
    conns = {name: await connect(service_dsn(mine, name)) for name in SERVICES}
    seeder = Seeder(conns, Vault(mine.pii_key))
    for i in range(3):
        await seeder.grow(await seeder.project(f"H{i:03d}"), 200)
    asked = await seeder.project("H999")
    await seeder.grow(asked, 100)
    yield conns, asked
    for conn in conns.values():
        await conn.close()


Query = Callable[[Any, Project], Awaitable[Any]]
NOW = datetime.now(UTC)
WEEK = (NOW - timedelta(days=7), NOW)
FIRST = (datetime(1, 1, 1, tzinfo=UTC), uuid.UUID(int=0))
LEADS: dict[str, Query] = {
    "customers, manager": lambda c, p: leads.customers_of_project(c, p.id, None, None, 51),
    "customers, consultant": lambda c, p: leads.customers_of_project(c, p.id, p.consultants[0], None, 51),
    "customers, a later page": lambda c, p: leads.customers_of_project(c, p.id, None, (NOW, uuid.uuid4()), 51),
    "customers ?overdue=true": lambda c, p: leads.customers_of_project(c, p.id, None, None, 51, NOW),
    "overdue list": lambda c, p: overdue.overdue_items(c, p.id, NOW, FIRST, 101),
    "overdue counts (digest)": lambda c, p: overdue.overdue_by_consultant(c, p.id, NOW),
    "overdue counts kept (review)": lambda c, p: overdue.overdue_counted(c, p.id, NOW),
    "weekly figures": lambda c, p: review.week_figures(c, p.id, *WEEK),
    "needs asked": lambda c, p: review.needs_between(c, p.id, *WEEK, 5),
    "needs to count": lambda c, p: review.needs_to_count(c, p.id, 1000),
    "claims": lambda c, p: leads.claims_page(c, p.id, None, (None, 101)),
    "claims, open": lambda c, p: leads.claims_page(c, p.id, "open", (None, 101)),
    "claims' sides": lambda c, p: leads.side_records(c, [(uuid.uuid4(), p.consultants[0])]),
    "call-backs": lambda c, p: leads.callbacks_page(c, p.id, None, WEEK, (None, 101)),
    "call-backs, consultant": lambda c, p: leads.callbacks_page(c, p.id, p.consultants[0], WEEK, (None, 101)),
    "call stats": lambda c, p: leads.call_stats(c, p.id, date.today(), "Asia/Shanghai", 3),
    "visitor register": lambda c, p: visitors.day_register(c, p.id, WEEK, "visit", (None, ["agent"]), None, 101),
    "lookup by phone": lambda c, p: leads.customer_by_phone(c, p.id, b"0" * 32),
    "hand-off's customer": lambda c, p: leads.customer_of_handoff(c, str(uuid.uuid4())),
    "sealing: profiles": lambda c, p: leads.plain_rows(c, "profiles", 200),
    "sealing: tags": lambda c, p: leads.plain_rows(c, "tags", 200),
    "sealing: feedback": lambda c, p: leads.plain_rows(c, "feedback", 200),
    "sealing: call notes": lambda c, p: leads.plain_rows(c, "call_notes", 200),
    "referrals": lambda c, p: leads.referrals_page(c, p.id, (None, 101)),
}
OTHERS: dict[str, tuple[str, Query]] = {
    "reminders, manager": (
        "notifications",
        lambda c, p: notifications.reminders_page(c, notifications.Seen([p.id], None), (None, None), (None, 101)),
    ),
    "reminders, consultant": (
        "notifications",
        lambda c, p: notifications.reminders_page(
            c, notifications.Seen([p.id], p.consultants[0]), (None, None), (None, 101)
        ),
    ),
    "notifications, manager": (
        "notifications",
        lambda c, p: notifications.notifications_page(c, notifications.Seen([p.id], None), None, (None, 101)),
    ),
    "board": ("inventory", lambda c, p: board.board_cells(c, p.id)),
    "notifications, consultant": (
        "notifications",
        lambda c, p: notifications.notifications_page(
            c, notifications.Seen([p.id], p.consultants[0]), None, (None, 101)
        ),
    ),
    "deposits": ("payments", lambda c, p: payments.deposits_page(c, p.id, False, None, 101)),
    "outbox and inbox retention": ("leads", lambda c, p: retention.purge(c, retention.Retention())),
}


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", sorted(LEADS))
async def test_a_hot_leads_query_reads_by_index(group: Any, name: str) -> None:
    conns, project = group
    explaining = Explaining(conns["leads"])
    await LEADS[name](explaining, project)
    assert explaining.plans, "the query ran no statement"
    assert {sql: sequential_scans(plan) for sql, plan in explaining.plans if sequential_scans(plan)} == {}


@pytest.mark.timeout(600)
@pytest.mark.parametrize("name", sorted(OTHERS))
async def test_a_hot_query_of_another_service_reads_by_index(group: Any, name: str) -> None:
    conns, project = group
    service, query = OTHERS[name]
    explaining = Explaining(conns[service])
    await query(explaining, project)
    assert explaining.plans, "the query ran no statement"
    assert {sql: sequential_scans(plan) for sql, plan in explaining.plans if sequential_scans(plan)} == {}


def test_the_checker_sees_a_sequential_scan() -> None:
    plan = [{"Plan": {"Node Type": "Limit", "Plans": [{"Node Type": "Seq Scan", "Relation Name": "customers"}]}}]
    assert sequential_scans(plan) == ["customers"]
    assert sequential_scans([{"Plan": {"Node Type": "Seq Scan", "Relation Name": "projects"}}]) == []
