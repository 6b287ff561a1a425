"""A consultant leaves a project (离职/调岗 交接, v1.2): who inherits each customer of their book. Pure: no I/O.

Every customer the leaver owns there goes to one named colleague, or, when none is named, to the project's other
consultants seen in the last `ACTIVE_DAYS` days (they registered a customer, wrote a follow-up or took a hold
there), dealt out in turn: the book in registration order, the heirs by consultant id."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta

from shared.kernel.errors import InvalidInput, refusal

__all__ = [
    "ACTIVE_DAYS",
    "DEPARTURE_KIND",
    "HANDOVER_REASON",
    "NoSuccessor",
    "active_since",
    "check_departure",
    "deal_out",
    "heirs_count",
]

ACTIVE_DAYS = 30  # "seen in the last 30 days" (contract v1.2, clarifications)
DEPARTURE_KIND = "departure_handover"  # the kind kept in the ownership history (R9) for such a move
HANDOVER_REASON = "handover"  # ownership-changed's reason for it
NoSuccessor = refusal(
    "NoSuccessor",
    "no_successor",
    "A departure with customers to move, no colleague named and no other consultant of the project active in the "
    "last 30 days: nobody to hand them to.",
    status=409,
)


def check_departure(leaver: str, successor: str | None, reason: str) -> None:
    """A departure names who leaves and why; a named successor is somebody else."""
    if not leaver.strip():
        raise InvalidInput("the departing consultant's id is required", "consultant_required")
    if not reason.strip():
        raise InvalidInput("a departure needs its reason", "reason_required")
    if successor is not None and (not successor.strip() or successor == leaver):
        raise InvalidInput("to_consultant_id must name another consultant", "invalid_successor")


def active_since(now: datetime) -> datetime:
    """From when a consultant's activity makes them one of the project's recently active consultants."""
    return now - timedelta(days=ACTIVE_DAYS)


def deal_out(book: Sequence[uuid.UUID], heirs: Sequence[str]) -> list[tuple[uuid.UUID, str]]:
    """Each customer of `book` (in its order) with their new owner: the heirs in turn, by consultant id.
    NoSuccessor when there are customers and nobody to take them."""
    if not book:
        return []
    order = sorted(set(heirs))
    if not order:
        raise NoSuccessor("no other consultant was active in this project in the last 30 days: name to_consultant_id")
    return [(customer, order[i % len(order)]) for i, customer in enumerate(book)]


def heirs_count(moves: Sequence[tuple[uuid.UUID, str]]) -> dict[str, int]:
    """How many customers each heir received, by consultant id."""
    return dict(sorted(Counter(heir for _, heir in moves).items()))
