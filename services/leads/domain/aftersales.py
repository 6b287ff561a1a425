"""Leads' pure rules after the sale and around the standard's daily rhythm: when a deal passes to after-sales
(R31), when its return visit is due (R33), when an owner hears of a new project without being bombarded (R15,
R33), and the manager's 09:00 digest of overdue follow-ups (R13). No I/O."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from shared.kernel.errors import Conflict, InvalidInput

__all__ = [
    "DIGEST_AT",
    "NEWS_AT",
    "DealProgress",
    "passes_to_aftersales",
    "return_visit_due",
    "check_visit_record",
    "digest_day",
    "digest_lines",
    "news_send_at",
    "summed_digest_lines",
]

DIGEST_AT = time(9, 0)  # R13: the manager's digest of overdue follow-ups, each morning, project time
NEWS_AT = time(10, 0)  # R33: news held back by the contact cap goes out the next local morning at this hour


@dataclass(frozen=True)
class DealProgress:
    """What leads has heard of a sale after subscription (R31)."""

    down_payment_due: Decimal | None
    down_payment_paid: Decimal
    contract_signed: bool
    mortgage_papers_at: datetime | None  # the bank appointment (R30): the papers are handed in there
    handed_over: bool
    paid_in_full: bool = False  # the whole price received (payments: nothing outstanding)


def passes_to_aftersales(deal: DealProgress, now: datetime) -> bool:
    """R31: the consultant's duty ends once the down payment is paid, the contract signed and the mortgage papers
    handed in (the bank appointment has come); a buyer who pays the whole price without a mortgage, once paid and
    signed; a handover ends it whatever else is missing."""
    if deal.handed_over or (deal.paid_in_full and deal.contract_signed):
        return True
    paid = deal.down_payment_due is not None and deal.down_payment_paid >= deal.down_payment_due
    papers_in = deal.mortgage_papers_at is not None and deal.mortgage_papers_at <= now
    return paid and deal.contract_signed and papers_in


def return_visit_due(handed_over_at: datetime, return_visit_days: int) -> datetime:
    """R33: the return visit is due about three months (the project's `return_visit_days`) after handover."""
    return handed_over_at.astimezone(UTC) + timedelta(days=return_visit_days)  # elapsed days, whatever the zone


def check_visit_record(status: str, outcome: str) -> None:
    """R33: a return visit is recorded once, with what the owner said."""
    if not outcome.strip():
        raise InvalidInput("say what the owner said", "invalid_outcome")
    if status != "due":
        raise Conflict("this return visit is recorded already", "visit_recorded")


def digest_day(now: datetime, timezone: str) -> date | None:
    """R13: the local day whose digest is due at `now` (from 09:00 project time on), or None before 09:00."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.date() if local.time() >= DIGEST_AT else None


def digest_lines(items: Iterable[dict[str, Any]], names: dict[str, str | None]) -> list[dict[str, Any]]:
    """R13: one line per consultant — overdue follow-ups, call-backs past due, the oldest — most overdue first."""
    lines: dict[str, dict[str, Any]] = defaultdict(dict)
    for item in items:
        line = lines[item["consultant_id"]]
        line.setdefault("followups", 0)
        line.setdefault("callbacks", 0)
        line["followups" if item["kind"] == "followup" else "callbacks"] += 1
        line["oldest_due_at"] = min(line.get("oldest_due_at", item["due_at"]), item["due_at"])
    out = [{"consultant_id": c, "consultant_name": names.get(c)} | line for c, line in lines.items()]
    return sorted(out, key=lambda line: (-(line["followups"] + line["callbacks"]), line["consultant_id"]))


def summed_digest_lines(counts: Iterable[dict[str, Any]], names: dict[str, str | None]) -> list[dict[str, Any]]:
    """R13: `digest_lines` from counts already summed per consultant (followups, callbacks, oldest_due_at)."""
    out = [
        {"consultant_id": c["consultant_id"], "consultant_name": names.get(c["consultant_id"])}
        | {name: c[name] for name in ("followups", "callbacks", "oldest_due_at")}
        for c in counts
    ]
    return sorted(out, key=lambda line: (-(line["followups"] + line["callbacks"]), line["consultant_id"]))


def news_send_at(now: datetime, timezone: str, contacts_today: int, cap: int) -> datetime:
    """R15, R33: news is one contact; an owner already contacted up to the cap today hears it the next local
    morning. (Quiet hours are applied where it is sent, by notifications.)"""
    if contacts_today < cap:
        return now
    zone = ZoneInfo(timezone)
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, NEWS_AT, tzinfo=zone)
