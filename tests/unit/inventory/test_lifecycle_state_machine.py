"""Hypothesis state machine of the unit lifecycle (R19): holds, expiry, release, deposit, refund,
duplicated and reordered events (a refund may overtake its verification). Invariants: at most one live hold
or open sale per unit; a refunded deposit never holds a sale; the status says what the holds and sales say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
        self.now = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
        self.units = {u: Unit(u) for u in UNITS}
        self.next_hold = 0
        self.deposits: list[tuple[str, str]] = []  # (unit, hold) of deposits payments took

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
    def deposit_taken(self, unit: str, data: st.DataObject) -> None:
        """Payments took a deposit for some hold it saw (possibly lapsed since); inventory hears nothing yet."""
        holds = list(self.units[unit].holds)
        if holds:
            self.deposits.append((unit, data.draw(st.sampled_from(holds))))

    @precondition(lambda self: self.deposits)
    @rule(data=st.data())
    def deposit_verified(self, data: st.DataObject) -> None:
        """deposit-verified, any number of times, before or after its refund, after anything else happened."""
        unit, hold_id = data.draw(st.sampled_from(self.deposits))
        target = self.units[unit]
        before = (target.status, target.sale_hold_id, len(target.conflicts))
        outcome = target.deposit_verified(hold_id)
        if outcome in ("already_open", "refunded_already"):
            assert (target.status, target.sale_hold_id, len(target.conflicts)) == before
        elif outcome == "conflict":
            assert target.sale_hold_id != hold_id and (target.status, target.sale_hold_id) == before[:2]
        else:
            assert target.sale_hold_id == hold_id and target.holds[hold_id].state == "converted"

    @precondition(lambda self: self.deposits)
    @rule(data=st.data())
    def deposit_refunded(self, data: st.DataObject) -> None:
        """deposit-refunded, any number of times, possibly overtaking its deposit-verified."""
        unit, hold_id = data.draw(st.sampled_from(self.deposits))
        self.units[unit].deposit_refunded(hold_id)
        assert self.units[unit].sale_hold_id != hold_id

    @invariant()
    def at_most_one_live_hold_or_sale_per_unit(self) -> None:
        for unit in self.units.values():
            live = len(unit.live_holds()) + (1 if unit.sale_hold_id else 0)
            assert live <= 1, f"{unit.unit_id}: {live} live holds/sales"

    @invariant()
    def a_refunded_deposit_never_holds_a_sale(self) -> None:
        for unit in self.units.values():
            assert unit.sale_hold_id is None or unit.sale_hold_id not in unit.refunded

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
