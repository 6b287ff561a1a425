"""Taking a unit (R19, 锁定): a registered customer's hold on an available unit; exactly one of concurrent attempts
wins. A loser is answered from one read; a winner's unit, hold, history and event are one statement (issue 13),
or a transaction of their own where an opening's rules apply (issue 11) or the statement must not decide."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from services.inventory import store
from services.inventory.domain import UnitNotAvailable, UnitStatus
from services.inventory.use_cases.hold_desk import HoldDesk
from services.inventory.use_cases.openings import check_opening_rule
from shared.kernel.clock import now_utc
from shared.kernel.defaults import DEFAULTS
from shared.kernel.errors import Conflict, NotFound, refusal
from shared.messaging import topics
from shared.messaging.outbox import OutboxRow, add_event, outbox_row
from shared.runtime import metrics
from shared.runtime.logs import log

TAKEN = "someone else holds or bought the unit"  # what a loser hears, wherever it lost
UnknownCustomer = refusal("UnknownCustomer", "unknown_customer", "R8: the customer is not registered in this project.")


@dataclass(frozen=True)
class HoldUnit:
    """A hold asked for: the unit, the customer, and the consultant asking (R19)."""

    unit_id: uuid.UUID
    customer_id: uuid.UUID
    consultant_id: str
    sees_whole_project: bool = True  # sales control may hold for anyone; a consultant only for their own (R8)


async def hold_unit(
    desk: HoldDesk, cmd: HoldUnit, authorize: Callable[[str], None] = lambda _: None, now: datetime | None = None
) -> dict[str, Any]:
    """R19: hold an available unit for a registered customer; exactly one of concurrent attempts wins. The hold
    lasts the project's hold minutes from `now` (None: the one clock's now). Issue 13, as the desk's levers say:
    the attempt reads its context with the attempts around it, and one that may win takes its unit in one statement
    and one commit with them (group commit); only what must still be decided takes a connection of its own."""
    at = now or now_utc()
    if not desk.reads_together:  # the attempt alone: its read and its take on one connection
        async with desk.get_pool().acquire() as conn:
            context = _checked(await store.hold_context(conn, cmd.unit_id, cmd.customer_id, at), cmd, authorize)
            return await _take(conn, cmd, context, at, _at_once(desk, context))
    context = _checked(await desk.context(cmd.unit_id, cmd.customer_id, at), cmd, authorize)
    at_once = _at_once(desk, context)
    if desk.takes_together and at_once:
        return await _take_together(desk, cmd, context, at)
    async with desk.get_pool().acquire() as conn:
        return await _take(conn, cmd, context, at, at_once)


async def _take_together(desk: HoldDesk, cmd: HoldUnit, context: asyncpg.Record, at: datetime) -> dict[str, Any]:
    """The unit taken in the desk's next group statement; what the group could not decide decides alone."""
    hold, data = _asked(cmd, context, at)
    try:
        outcome = await desk.take(hold, _event(data, context))
    except asyncpg.PostgresError as exc:  # the group's statement failed (a deadlock, say): each decides alone
        log("hold_group_failed", error=repr(exc)[:300])
        metrics.HOLD_GROUP_FAILURES.labels("inventory").inc()
        outcome = "undecided"
    if outcome == "won":
        return _answered(data)
    if outcome == "lost":  # an earlier attempt of the same group has the unit: opening day's usual loser
        raise UnitNotAvailable(TAKEN)
    async with desk.get_pool().acquire() as conn:
        return await _decide(conn, cmd, context, hold, at_once=True)


async def _take(
    conn: asyncpg.Connection, cmd: HoldUnit, context: asyncpg.Record, at: datetime, at_once: bool
) -> dict[str, Any]:
    """Take the unit the checked context allows: one statement, or a transaction when it must decide."""
    hold, data = _asked(cmd, context, at)
    # Issue 13: with no opening live, the unit, hold, history and event are one statement. If it takes nothing
    # (the unit went meanwhile, its price changed, an opening began) a fresh read or the transaction says why.
    if at_once and await store.take_unit_with_event(conn, hold, _event(data, context)):
        return _answered(data)
    return await _decide(conn, cmd, context, hold, at_once)


def _at_once(desk: HoldDesk, context: asyncpg.Record) -> bool:
    """Whether a winner may take its unit in one statement: the lever is on and no opening's rules apply."""
    return desk.in_one_statement and not context["opening_live"]


def _asked(cmd: HoldUnit, context: asyncpg.Record, at: datetime) -> tuple[store.HoldRow, dict[str, Any]]:
    """The hold to write, from now for the project's hold minutes at the price read, and its event's data."""
    minutes = _hold_minutes(context)
    hold = store.HoldRow(
        uuid.uuid4(),
        cmd.unit_id,
        cmd.customer_id,
        cmd.consultant_id,
        at,
        at + timedelta(minutes=minutes),
        context["list_price"],
    )
    return hold, _locked_data(hold, context)


async def _decide(
    conn: asyncpg.Connection, cmd: HoldUnit, context: asyncpg.Record, hold: store.HoldRow, at_once: bool
) -> dict[str, Any]:
    """A statement took nothing (or none was tried): someone else has the unit now, or the transaction decides."""
    if at_once and await _lost_the_race(conn, cmd.unit_id):
        raise UnitNotAvailable(TAKEN)
    return _answered(await _take_in_transaction(conn, cmd, context, hold, _hold_minutes(context)))


def _hold_minutes(context: asyncpg.Record) -> int:
    return context["hold_minutes"] or DEFAULTS.hold_minutes


def _answered(data: dict[str, Any]) -> dict[str, Any]:
    """The hold as its caller is answered (the unit's area travels only on the event, for the reports)."""
    shown = {name: value for name, value in data.items() if name != "area_m2"}
    return {**shown, "expires_at": data["expires_at"].isoformat(), "list_price": str(data["list_price"])}


async def _lost_the_race(conn: asyncpg.Connection, unit_id: uuid.UUID) -> bool:
    """After a statement that took nothing: someone else has the unit now (a new read, after their commit). The
    usual loser on opening day is told so at once; only a unit still free goes on to the transaction."""
    unit = await store.unit(conn, unit_id)
    return unit is None or unit["status"] != UnitStatus.AVAILABLE.value


async def _take_in_transaction(
    conn: asyncpg.Connection, cmd: HoldUnit, context: asyncpg.Record, hold: store.HoldRow, minutes: int
) -> dict[str, Any]:
    """The hold in a transaction of its own: the opening's rules (issue 11, 开盘), then the unit if still free."""
    async with conn.transaction():
        await check_opening_rule(conn, context["project_id"], cmd.unit_id, cmd.customer_id, hold.starts_at)
        taken = await store.take_unit(
            conn, cmd.unit_id, hold.hold_id, cmd.customer_id, cmd.consultant_id, minutes, hold.starts_at
        )
        if taken is None:
            raise UnitNotAvailable(TAKEN)
        data = _locked_data(hold._replace(expires_at=taken["expires_at"], list_price=taken["list_price"]), taken)
        await add_event(conn, topics.UNIT_LOCKED, data, project_id=str(taken["project_id"]))
    return data


def _locked_data(hold: store.HoldRow, unit: Any) -> dict[str, Any]:
    """unit-locked's data: the hold, and the unit's building, number, price and area (issue 22: the reports)."""
    return {
        "hold_id": str(hold.hold_id),
        "unit_id": str(hold.unit_id),
        "customer_id": str(hold.customer_id),
        "consultant_id": hold.consultant_id,
        "building": unit["building"],
        "number": unit["number"],
        "expires_at": hold.expires_at,
        "list_price": hold.list_price,
        "area_m2": unit["area_m2"],
    }


def _event(data: dict[str, Any], context: asyncpg.Record) -> OutboxRow:
    return outbox_row(topics.UNIT_LOCKED, data, project_id=str(context["project_id"]))


def _checked(context: asyncpg.Record | None, cmd: HoldUnit, authorize: Callable[[str], None]) -> asyncpg.Record:
    """The unit, its project's hold time and the customer's owner, checked in the order docs/api.md documents;
    a loser is answered here, from one read and without a transaction."""
    if context is None:
        raise NotFound("no such unit")
    authorize(str(context["project_id"]))
    if context["key_visitor"] is None:
        raise UnknownCustomer("the customer is not registered in this project")
    if context["key_visitor"]:
        raise Conflict("a key visitor (staff or a peer, R5) is not a lead: nothing is held for them", "not_a_lead")
    if not cmd.sees_whole_project and context["owner_id"] != cmd.consultant_id:
        raise NotFound("no such customer")  # R8: a colleague's customer is not yours to see (as in leads)
    if context["status"] != UnitStatus.AVAILABLE.value:
        raise UnitNotAvailable(f"the unit is {context['status']}")
    return context
