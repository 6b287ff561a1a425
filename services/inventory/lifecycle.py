"""The unit lifecycle as plain code: holds, expiry, release, deposit, refund (R19). Pure: no I/O.

The database carries out the same rules with conditional updates; this model states them so a
property-based test can explore every interleaving, duplicated and reordered events included.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.inventory.domain import UnitNotAvailable, UnitStatus


@dataclass
class Hold:
    hold_id: str
    customer_id: str
    expires_at: datetime
    state: str = "live"  # live | expired | released | converted


@dataclass
class Unit:
    """One unit: at most one live hold or open sale at any time."""

    unit_id: str
    status: UnitStatus = UnitStatus.AVAILABLE
    holds: dict[str, Hold] = field(default_factory=dict)
    sale_hold_id: str | None = None  # the hold whose deposit opened the current sale
    conflicts: list[str] = field(default_factory=list)  # deposits verified after the unit went to someone else
    refunded: set[str] = field(default_factory=set)  # holds whose deposit was refunded (seen in any order)

    def live_holds(self) -> list[Hold]:
        return [h for h in self.holds.values() if h.state == "live"]

    def place_hold(self, hold_id: str, customer_id: str, now: datetime, minutes: int) -> Hold:
        """R19: only an available unit can be held."""
        if self.status is not UnitStatus.AVAILABLE:
            raise UnitNotAvailable(f"unit {self.unit_id} is {self.status.value}")
        hold = Hold(hold_id, customer_id, now + timedelta(minutes=minutes))
        self.holds[hold_id], self.status = hold, UnitStatus.HELD
        return hold

    def expire(self, now: datetime) -> list[str]:
        """The sweeper: live holds past their time are released (reason expired)."""
        gone = [h for h in self.live_holds() if h.expires_at <= now]
        for hold in gone:
            self._end_hold(hold, "expired")
        return [h.hold_id for h in gone]

    def release(self, hold_id: str) -> bool:
        """Holder, manager or sales control lets the hold go; False if it was not live."""
        hold = self.holds.get(hold_id)
        if hold is None or hold.state != "live":
            return False
        self._end_hold(hold, "released")
        return True

    def _end_hold(self, hold: Hold, state: str) -> None:
        hold.state = state
        if self.status is UnitStatus.HELD:
            self.status = UnitStatus.AVAILABLE

    def deposit_verified(self, hold_id: str) -> str:
        """Open a sale: from the live hold, or from a lapsed hold while the unit is still free."""
        hold = self.holds.get(hold_id)
        if self.sale_hold_id == hold_id:
            return "already_open"
        if hold_id in self.refunded:  # the refund overtook the verification: the money is back already
            return "refunded_already"
        if hold is not None and hold.state == "live":
            hold.state, self.status, self.sale_hold_id = "converted", UnitStatus.RESERVED, hold_id
            return "reserved"
        if self.status is UnitStatus.AVAILABLE and hold is not None:
            hold.state, self.status, self.sale_hold_id = "converted", UnitStatus.RESERVED, hold_id
            return "reserved_after_lapse"
        self.conflicts.append(hold_id)
        return "conflict"

    def deposit_refunded(self, hold_id: str) -> str:
        """A refund ends the sale it opened (unit back to available) or the hold it was for."""
        self.refunded.add(hold_id)
        if self.sale_hold_id == hold_id and self.status is UnitStatus.RESERVED:
            self.sale_hold_id, self.status = None, UnitStatus.AVAILABLE
            return "sale_closed"
        return "released" if self.release(hold_id) else "nothing"
