"""Issue 11, the opening (开盘): the lottery (摇号) that orders the entrants, the batch windows that follow from
it, and the hold rule while an opening is live. Pure: no clock, no I/O; every time is passed in.

The order is a pure function of the published seed and the entrant list, so any buyer can recompute it:
entrants sorted by HMAC-SHA256(key=seed, msg=customer_id).hexdigest() ascending, ties (never seen in
practice) by customer_id. Queue numbers run 1..n; queue number q is in batch (q-1)//batch_size, and batch k's
window is [starts_at + k·window_minutes, starts_at + (k+1)·window_minutes).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from shared.kernel.errors import DomainError, refusal

WINDOW_MINUTES = (1, 1440)  # bounds of each term (inclusive), as the API checks them
BATCH_SIZE = (1, 10_000)
UNITS_PER_BUYER = (1, 100)
MAX_ENTRANTS = 5_000  # per opening (and per call): the drawn event's windows fit one Kafka message

WindowNotOpen = refusal(
    "WindowNotOpen",
    "window_not_open",
    "Issue 11 (开盘): while an opening is live only an entrant whose batch window is open now holds.",
    status=409,
)
BuyerLimitReached = refusal(
    "BuyerLimitReached",
    "buyer_limit_reached",
    "Issue 11 (开盘): no buyer holds or buys more than the opening's units_per_buyer.",
    status=409,
)
AlreadyDrawn = refusal("AlreadyDrawn", "already_drawn", "Issue 11 (摇号): an opening is drawn once.", status=409)
NoEntrants = refusal("NoEntrants", "no_entrants", "Issue 11 (摇号): a lottery needs entrants.", status=409)
OpeningFull = refusal("OpeningFull", "opening_full", "Issue 11: at most MAX_ENTRANTS entrants per opening.", status=409)
OpeningsOverlap = refusal(
    "OpeningsOverlap", "openings_overlap", "Issue 11: one project's drawn openings never overlap in time.", status=409
)


OpeningStarted = refusal(
    "OpeningStarted",
    "opening_started",
    "Issue 19: units are kept out of an opening before it starts; from then its holds are settled.",
    status=409,
)
AlreadyKeptOut = refusal(
    "AlreadyKeptOut",
    "already_kept_out",
    "Issue 19: a unit is kept out of an opening once; who did it and why stay as recorded.",
    status=409,
)
UnknownUnit = refusal("UnknownUnit", "unknown_unit", "Issue 19: only a unit of the opening's project is kept out.")


class StartsInThePast(DomainError):
    """Issue 19: an opening is made to prepare for (entrants join, the lottery is drawn) before it starts; one whose
    `starts_at` is already past when it is created would be live — or over — before anyone could enter it."""

    code = "starts_at_in_past"

    def extra(self) -> dict[str, Any]:
        """The field to correct."""
        return {"field": "starts_at"}


class OpeningStatus(str, Enum):
    """registering (entrants join) → drawn (ordered, not started) → live (a window spans now) → closed. Issue 25:
    an opening whose entry is closed before its draw is entry_closed until drawn, and lapsed if its start comes
    first (never drawn: a reveal did not come)."""

    REGISTERING = "registering"
    ENTRY_CLOSED = "entry_closed"
    LAPSED = "lapsed"
    DRAWN = "drawn"
    LIVE = "live"
    CLOSED = "closed"


@dataclass(frozen=True)
class Schedule:
    """When batches may hold: batch k from starts_at + k·window_minutes, for window_minutes."""

    starts_at: datetime
    window_minutes: int
    batch_size: int

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)


@dataclass(frozen=True)
class Window:
    """One batch's window and the queue numbers in it (both ends included)."""

    batch: int
    starts_at: datetime
    ends_at: datetime
    queue_from: int
    queue_to: int


def ticket(seed: str, customer_id: str) -> str:
    """An entrant's lottery ticket: HMAC-SHA256(key=seed, msg=customer_id) as lowercase hex."""
    return hmac.new(seed.encode("utf-8"), customer_id.encode("utf-8"), hashlib.sha256).hexdigest()


def draw_order(seed: str, customer_ids: Iterable[str]) -> list[str]:
    """The lottery (摇号): entrants by ticket ascending (ties by id); the list's input order does not matter."""
    return sorted(set(customer_ids), key=lambda c: (ticket(seed, c), c))


def batch_of(queue_no: int, batch_size: int) -> int:
    """The batch (from 0) of a queue number (from 1)."""
    return (queue_no - 1) // batch_size


def window_of(schedule: Schedule, batch: int) -> tuple[datetime, datetime]:
    """Batch `batch`'s window: [start, end)."""
    start = schedule.starts_at + batch * schedule.window
    return start, start + schedule.window


def batches(schedule: Schedule, entrants: int) -> int:
    """How many batches `entrants` make."""
    return -(-entrants // schedule.batch_size)


def windows(schedule: Schedule, entrants: int) -> list[Window]:
    """Every batch's window, in order; they follow each other without gap or overlap."""
    out = []
    for batch in range(batches(schedule, entrants)):
        start, end = window_of(schedule, batch)
        first = batch * schedule.batch_size + 1
        out.append(Window(batch, start, end, first, min(first + schedule.batch_size - 1, entrants)))
    return out


def span_end(schedule: Schedule, entrants: int) -> datetime:
    """The end of the last batch's window (the opening closes then)."""
    return schedule.starts_at + batches(schedule, entrants) * schedule.window


def current_batch(schedule: Schedule, entrants: int, now: datetime) -> int | None:
    """The batch whose window is open at `now`, or None before the first and from the end of the last."""
    if now < schedule.starts_at:
        return None
    batch = (now - schedule.starts_at) // schedule.window
    return batch if batch < batches(schedule, entrants) else None


def status_at(
    drawn: bool, schedule: Schedule, entrants: int, now: datetime, entry_closed: bool = False
) -> OpeningStatus:
    """Where the opening stands at `now`: live while [starts_at, end of the last window) spans it; an opening whose
    entry closed undrawn is lapsed from its start (issue 25)."""
    if not drawn and entry_closed:
        return OpeningStatus.LAPSED if now >= schedule.starts_at else OpeningStatus.ENTRY_CLOSED
    if not drawn:
        return OpeningStatus.REGISTERING
    if now < schedule.starts_at:
        return OpeningStatus.DRAWN
    return OpeningStatus.LIVE if now < span_end(schedule, entrants) else OpeningStatus.CLOSED


def check_starts_ahead(starts_at: datetime, now: datetime) -> None:
    """Issue 19: an opening is created before it starts (`now` is the moment of creation)."""
    if starts_at <= now:
        raise StartsInThePast(f"starts_at {starts_at.isoformat()} is not after now ({now.isoformat()})")


def check_not_drawn(drawn: bool) -> None:
    """Entrants join only before the draw: after it the list is fixed."""
    if drawn:
        raise AlreadyDrawn("the opening is drawn: its entrants are fixed")


def check_room(entrants_after: int) -> None:
    """At most MAX_ENTRANTS entrants in one opening."""
    if entrants_after > MAX_ENTRANTS:
        raise OpeningFull(f"an opening takes at most {MAX_ENTRANTS} entrants")


def check_draw(drawn: bool, entrants: int) -> None:
    """One draw per opening, and only with entrants."""
    if drawn:
        raise AlreadyDrawn("the opening is drawn already: its order is published")
    if entrants == 0:
        raise NoEntrants("no entrants to draw: add the registered customers first")


def check_hold(schedule: Schedule, units_per_buyer: int, queue_no: int | None, owned: int, now: datetime) -> None:
    """From the close of entry (issue 25; for an opening that never closed it by itself, the draw: issue 19) to the
    end of the last window: only an entrant whose batch window is open at `now` holds (issue 11, 开盘), and only
    while the units they hold or bought in the project are fewer than units_per_buyer. Between the close of entry
    and the start no window is open (before the draw no entrant has a queue number), so nobody holds."""
    if queue_no is None:
        raise WindowNotOpen("entry to the opening is closed: only its entrants hold, each in their batch's window")
    start, end = window_of(schedule, batch_of(queue_no, schedule.batch_size))
    if not start <= now < end:
        raise WindowNotOpen(f"queue number {queue_no} holds from {start.isoformat()} to {end.isoformat()}")
    if owned >= units_per_buyer:
        raise BuyerLimitReached(f"the buyer holds or bought {owned} units; the opening allows {units_per_buyer}")


def check_keep_out(starts_at: datetime, went_live: bool, already: bool, now: datetime) -> None:
    """Issue 19: sales control keeps a unit out of an opening before it starts, once per unit."""
    if went_live or now >= starts_at:
        raise OpeningStarted(f"the opening started at {starts_at.isoformat()}: its units are settled")
    if already:
        raise AlreadyKeptOut("the unit is kept out of this opening already")


def keeps_hold(schedule: Schedule, queue_no: int | None, taken_at: datetime, kept_out: bool) -> bool:
    """Issue 19, when an opening goes live: a hold stays only if its unit is kept out of the opening, or it was
    taken by an entrant within their batch's window (the lottery's order); any other hold is released."""
    if kept_out:
        return True
    if queue_no is None:
        return False
    start, end = window_of(schedule, batch_of(queue_no, schedule.batch_size))
    return start <= taken_at < end
