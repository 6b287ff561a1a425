"""R19 as a Hypothesis state machine over the code that runs: inventory's use cases and consumer handlers on real
PostgreSQL. A unit is held or sold to one customer only, whatever the order of what happens to it.

Rules: a hold is placed (`use_cases.hold_unit`), time passes and the sweeper runs (`use_cases.expire_holds` with
the machine's clock, never a sleep), sales control releases a hold (`use_cases.release_hold`), payments takes and
refunds deposits, and inventory hears `deposit-verified` and `deposit-refunded` (`consumers.on_deposit_verified`,
`consumers.on_deposit_refunded`, as the inbox runs them) any number of times and in any order: duplicated,
reordered, a verification after its refund, a refund that overtakes its verification.

Invariants, read from the database after every step:
- at most one live hold or open sale per unit;
- a refunded deposit never holds a sale, and a sale is closed by refund only when its own deposit was refunded;
- a verified deposit that was not refunded holds the unit's sale or is a conflict a manager sees (never forgotten);
- the unit's status (and its hold and sale) agrees with its holds and sales.

Each example starts from a fresh project (two units, three customers) and its own clock, which starts at the real
present and only moves forward: holds are placed and swept with it as `now`, so nothing depends on the date, and
the service's own sweeper (on the database's clock) never reaches a hold the machine made. Hypothesis runs in a
worker thread; each step runs on the session's event loop, where the inventory app's pool lives.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, TypeVar

import asyncpg
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)

from services.inventory import use_cases
from services.inventory.domain import InvalidTransition, UnitNotAvailable
from services.inventory.use_cases import HoldUnit
from shared.runtime.settings import Settings
from tests.support.inventory import deposit, hold_desk, known_customer, new_project, refunded, verified

T = TypeVar("T")
UNITS, CUSTOMERS = 2, 3
STEP_SECONDS = 30.0  # one step is a few queries; a step that takes this long is stuck, not slow


@dataclass(frozen=True)
class Held:
    hold_id: str
    unit_id: str
    customer_id: str


@dataclass(frozen=True)
class Deposit:
    """A deposit payments took on a hold, as its events carry it."""

    data: dict[str, Any]

    @property
    def deposit_id(self) -> str:
        return self.data["deposit_id"]

    @property
    def hold_id(self) -> str:
        return self.data["hold_id"]


@dataclass(frozen=True)
class Seen:
    """The project's rows as the database has them now."""

    units: dict[uuid.UUID, asyncpg.Record]
    holds: dict[uuid.UUID, asyncpg.Record]
    sales: list[asyncpg.Record]
    refunded: set[str]  # deposit ids whose deposit-refunded inventory applied
    open_conflicts: set[str]  # deposit ids verified for a unit someone else had, not yet refunded

    def live_holds(self, unit_id: uuid.UUID) -> list[asyncpg.Record]:
        return [h for h in self.holds.values() if h["unit_id"] == unit_id and h["state"] == "live"]

    def open_sales(self, unit_id: uuid.UUID | None = None) -> list[asyncpg.Record]:
        return [s for s in self.sales if s["closed_at"] is None and unit_id in (None, s["unit_id"])]


class UnitLifecycle(RuleBasedStateMachine):
    held = Bundle("held")
    deposits = Bundle("deposits")
    refunds = Bundle("refunds")

    def __init__(
        self, inventory: SimpleNamespace, settings: Settings, run: Callable[[Coroutine[Any, Any, T]], T]
    ) -> None:
        super().__init__()
        self.inventory, self.settings, self.run = inventory, settings, run
        self.clock = datetime.now(UTC)  # the machine's clock: only moves forward, by the rule below
        self.pid, self.hold_minutes = "", 0
        self.units: list[str] = []
        self.customers: list[str] = []
        self.live_deposit_on: dict[str, str] = {}  # hold id -> its deposit payments has not refunded (one at most)
        self.verified: set[str] = set()  # deposit ids whose deposit-verified inventory heard
        self.refund_arrived: set[str] = set()  # deposit ids whose deposit-refunded inventory heard
        self._seen: Seen | None = None

    # -- plumbing: run on the session's loop, read the database once per step ---------------------------------

    def step(self, work: Coroutine[Any, Any, T]) -> T:
        """Run one thing inventory does; the database is read afresh after it."""
        self._seen = None
        return self.run(work)

    async def use_case(self, call: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        async with self.inventory.pool.acquire() as conn:
            return await call(conn)

    @property
    def db(self) -> Seen:
        if self._seen is None:
            self._seen = self.run(self._read())
        return self._seen

    async def _read(self) -> Seen:
        pid = uuid.UUID(self.pid)
        async with self.inventory.pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            units = await conn.fetch("SELECT id, status, hold_id, sale_id FROM units WHERE project_id = $1", pid)
            holds = await conn.fetch("SELECT id, unit_id, state, expires_at FROM holds WHERE project_id = $1", pid)
            sales = await conn.fetch(
                "SELECT id, unit_id, hold_id, deposit_id, status, closed_at FROM sales WHERE project_id = $1", pid
            )
            refunded = await conn.fetch(
                "SELECT r.deposit_id FROM deposit_refunds r JOIN units u ON u.id = r.unit_id WHERE u.project_id = $1",
                pid,
            )
            conflicts = await conn.fetch(
                "SELECT deposit_id FROM sale_conflicts WHERE project_id = $1 AND refunded_at IS NULL", pid
            )
        return Seen(
            {u["id"]: u for u in units},
            {h["id"]: h for h in holds},
            list(sales),
            {r["deposit_id"] for r in refunded},
            {c["deposit_id"] for c in conflicts},
        )

    # -- rules ---------------------------------------------------------------------------------------------------

    @initialize(hold_minutes=st.integers(1, 30))
    def a_fresh_project(self, hold_minutes: int) -> None:
        self.hold_minutes = hold_minutes
        self.pid, units = self.run(new_project(self.inventory, self.settings, units=UNITS, hold_minutes=hold_minutes))
        self.units = [u["id"] for u in units]
        self.customers = [self.run(known_customer(self.inventory, self.pid)) for _ in range(CUSTOMERS)]

    @rule(target=held, unit=st.integers(0, UNITS - 1), customer=st.integers(0, CUSTOMERS - 1))
    def place_hold(self, unit: int, customer: int) -> Any:
        unit_id, customer_id = self.units[unit], self.customers[customer]
        was = self.db.units[uuid.UUID(unit_id)]["status"]
        command = HoldUnit(uuid.UUID(unit_id), uuid.UUID(customer_id), "consultant-1")
        try:
            hold = self.step(use_cases.hold_unit(hold_desk(self.inventory), command, now=self.clock))
        except UnitNotAvailable:
            assert was != "available", "an available unit refused a hold"
            return multiple()
        assert was == "available", f"a {was} unit was held again"
        assert datetime.fromisoformat(hold["expires_at"]) == self.clock + timedelta(minutes=self.hold_minutes)
        return Held(hold["hold_id"], unit_id, customer_id)

    @rule(minutes=st.integers(0, 40))
    def time_passes_and_the_sweeper_runs(self, minutes: int) -> None:
        self.clock += timedelta(minutes=minutes)
        while self.step(self.use_case(lambda conn: use_cases.expire_holds(conn, now=self.clock))):
            pass
        overdue = [h["id"] for h in self.db.holds.values() if h["state"] == "live" and h["expires_at"] <= self.clock]
        assert not overdue, f"holds past their time still live: {overdue}"
        early = [h["id"] for h in self.db.holds.values() if h["state"] == "expired" and h["expires_at"] > self.clock]
        assert not early, f"holds expired before their time: {early}"

    @rule(hold=held)
    def sales_control_releases(self, hold: Held) -> None:
        was = self.db.holds[uuid.UUID(hold.hold_id)]["state"]
        try:
            self.step(
                self.use_case(
                    lambda conn: use_cases.release_hold(
                        conn, uuid.UUID(hold.unit_id), uuid.UUID(hold.hold_id), "sales-control-1", may_release_any=True
                    )
                )
            )
        except InvalidTransition:
            assert was != "live", "a live hold could not be released"
            return
        assert was == "live", f"a {was} hold was released"
        assert self.db.holds[uuid.UUID(hold.hold_id)]["state"] == "released"

    @rule(target=deposits, hold=held)
    def payments_takes_a_deposit(self, hold: Held) -> Any:
        """On any hold payments saw (its view may lag: the hold may have lapsed or gone since); one live deposit per
        hold, so a second one only after the first was refunded."""
        if hold.hold_id in self.live_deposit_on:
            return multiple()
        taken = Deposit(deposit(hold.unit_id, hold.hold_id, hold.customer_id))
        self.live_deposit_on[hold.hold_id] = taken.deposit_id
        return taken

    @rule(target=refunds, taken=deposits)
    def payments_refunds(self, taken: Deposit) -> Any:
        """The manager refunds (verified or not yet); deposit-refunded is on its way, and may overtake anything."""
        if self.live_deposit_on.get(taken.hold_id) != taken.deposit_id:
            return multiple()  # refunded already
        del self.live_deposit_on[taken.hold_id]
        return taken

    @rule(taken=deposits)
    def deposit_verified_arrives(self, taken: Deposit) -> None:
        """deposit-verified, any number of times, before or after its refund arrived, after anything else."""
        self.step(verified(self.inventory, self.pid, taken.data))
        self.verified.add(taken.deposit_id)

    @rule(taken=refunds)
    def deposit_refunded_arrives(self, taken: Deposit) -> None:
        """deposit-refunded, any number of times, possibly before its deposit-verified."""
        self.step(refunded(self.inventory, self.pid, taken.data))
        self.refund_arrived.add(taken.deposit_id)
        assert taken.deposit_id in self.db.refunded, "inventory forgot a refund it applied"
        assert taken.deposit_id not in self.db.open_conflicts, "a refund left its conflict open"

    # -- invariants (R19), read from the database -----------------------------------------------------------------

    @invariant()
    def at_most_one_live_hold_or_open_sale_per_unit(self) -> None:
        for unit_id in self.db.units:
            taken = len(self.db.live_holds(unit_id)) + len(self.db.open_sales(unit_id))
            assert taken <= 1, f"unit {unit_id}: {taken} live holds and open sales"

    @invariant()
    def a_refunded_deposit_never_holds_a_sale(self) -> None:
        for sale in self.db.open_sales():
            assert sale["deposit_id"] not in self.refund_arrived | self.db.refunded, (
                f"sale {sale['id']} is open on refunded deposit {sale['deposit_id']}"
            )

    @invariant()
    def a_sale_is_closed_by_its_own_refund_only(self) -> None:
        for sale in self.db.sales:
            if sale["status"] == "refunded":
                assert sale["deposit_id"] in self.refund_arrived, (
                    f"sale {sale['id']} closed as refunded, but its deposit {sale['deposit_id']} was not"
                )

    @invariant()
    def a_verified_deposit_is_never_forgotten(self) -> None:
        accounted = {s["deposit_id"] for s in self.db.open_sales()} | self.db.open_conflicts
        forgotten = self.verified - self.refund_arrived - accounted
        assert not forgotten, f"verified deposits with neither a sale nor a conflict: {forgotten}"

    @invariant()
    def status_agrees_with_holds_and_sales(self) -> None:
        for unit_id, unit in self.db.units.items():
            sales, live = self.db.open_sales(unit_id), self.db.live_holds(unit_id)
            if sales:
                assert (unit["status"], unit["sale_id"]) == (sales[0]["status"], sales[0]["id"]), (
                    f"unit {unit_id} is {unit['status']} (sale {unit['sale_id']}), its sale {sales[0]['id']} is"
                    f" {sales[0]['status']}"
                )
            elif live:
                assert (unit["status"], unit["hold_id"], unit["sale_id"]) == ("held", live[0]["id"], None), (
                    f"unit {unit_id} is {unit['status']} (hold {unit['hold_id']}), its live hold is {live[0]['id']}"
                )
            else:
                assert (unit["status"], unit["hold_id"], unit["sale_id"]) == ("available", None, None), (
                    f"unit {unit_id} is {unit['status']} (hold {unit['hold_id']}, sale {unit['sale_id']})"
                    " with no live hold or open sale"
                )


# Modest, for the whole suite's sake: about 3,000 steps, some ten seconds on two cores. A failure is kept in
# .hypothesis/ and tried first next time.
LIFECYCLE_SETTINGS = hsettings(
    max_examples=60, stateful_step_count=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


async def test_the_unit_lifecycle_r19_holds_on_the_code_that_runs(inventory, settings) -> None:
    loop = asyncio.get_running_loop()

    def run(coro: Coroutine[Any, Any, T]) -> T:
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, loop)
        return future.result(timeout=STEP_SECONDS)

    await asyncio.to_thread(
        run_state_machine_as_test, lambda: UnitLifecycle(inventory, settings, run), settings=LIFECYCLE_SETTINGS
    )
