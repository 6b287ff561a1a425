"""Hypothesis state machine of the unit lifecycle (R19): holds, expiry, release, deposit, refund,
duplicated and reordered events. Invariant: at most one live hold or open sale per unit."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from services.inventory.domain import UnitNotAvailable, UnitStatus
from services.inventory.lifecycle import Unit

UNITS = ("u1", "u2")
CUSTOMERS = ("c1", "c2", "c3")


class UnitLifecycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
        self.units = {u: Unit(u) for u in UNITS}
        self.next_hold = 0
        self.verified: list[tuple[str, str]] = []  # (unit, hold) deposit-verified events already emitted
        self.refunded: list[tuple[str, str]] = []

    @rule(unit=st.sampled_from(UNITS), customer=st.sampled_from(CUSTOMERS), minutes=st.integers(1, 30))
    def hold(self, unit: str, customer: str, minutes: int) -> None:
        target = self.units[unit]
        was_available = target.status is UnitStatus.AVAILABLE
        self.next_hold += 1
        try:
            target.place_hold(f"h{self.next_hold}", customer, self.now, minutes)
            assert was_available
        except UnitNotAvailable:
            assert not was_available

    @rule(minutes=st.integers(0, 40))
    def time_passes_and_the_sweeper_runs(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)
        for unit in self.units.values():
            for hold_id in unit.expire(self.now):
                assert unit.holds[hold_id].state == "expired"

    @rule(unit=st.sampled_from(UNITS), data=st.data())
    def release(self, unit: str, data: st.DataObject) -> None:
        holds = list(self.units[unit].holds)
        if holds:
            self.units[unit].release(data.draw(st.sampled_from(holds)))

    @rule(unit=st.sampled_from(UNITS), data=st.data())
    def deposit_verified(self, unit: str, data: st.DataObject) -> None:
        """Payments verified a deposit for some hold it saw (possibly lapsed since)."""
        holds = list(self.units[unit].holds)
        if holds:
            hold_id = data.draw(st.sampled_from(holds))
            self.verified.append((unit, hold_id))
            self.units[unit].deposit_verified(hold_id)

    @precondition(lambda self: self.verified)
    @rule(data=st.data())
    def deposit_verified_again(self, data: st.DataObject) -> None:
        """The same event delivered twice, or late, after other things happened."""
        unit, hold_id = data.draw(st.sampled_from(self.verified))
        before = (self.units[unit].status, self.units[unit].sale_hold_id)
        outcome = self.units[unit].deposit_verified(hold_id)
        if outcome == "already_open":
            assert (self.units[unit].status, self.units[unit].sale_hold_id) == before

    @precondition(lambda self: self.verified)
    @rule(data=st.data())
    def deposit_refunded(self, data: st.DataObject) -> None:
        unit, hold_id = data.draw(st.sampled_from(self.verified))
        self.refunded.append((unit, hold_id))
        self.units[unit].deposit_refunded(hold_id)

    @precondition(lambda self: self.refunded)
    @rule(data=st.data())
    def deposit_refunded_again(self, data: st.DataObject) -> None:
        unit, hold_id = data.draw(st.sampled_from(self.refunded))
        self.units[unit].deposit_refunded(hold_id)

    @invariant()
    def at_most_one_live_hold_or_sale_per_unit(self) -> None:
        for unit in self.units.values():
            live = len(unit.live_holds()) + (1 if unit.sale_hold_id else 0)
            assert live <= 1, f"{unit.unit_id}: {live} live holds/sales"

    @invariant()
    def status_agrees_with_holds_and_sales(self) -> None:
        for unit in self.units.values():
            if unit.sale_hold_id:
                assert unit.status is UnitStatus.RESERVED
            elif unit.live_holds():
                assert unit.status is UnitStatus.HELD
            else:
                assert unit.status is UnitStatus.AVAILABLE


UnitLifecycle.TestCase.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)
TestUnitLifecycle = UnitLifecycle.TestCase
