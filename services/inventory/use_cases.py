"""Inventory use cases: load, ask the domain, write rows and outbox events in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Callable
from zoneinfo import ZoneInfo

import asyncpg
import orjson

from services.inventory import store
from services.inventory.domain import (
    ContractSigning, DomainError, InvalidTransition, ProjectSettings, QuoteRequest, RowProblem, SubscriptionTerms,
    UnitNotAvailable, UnitRow, UnitStatus, check_contract, check_handover, check_subscription, money, quote,
)
from shared import catalogue as topics
from shared.logs import log
from shared.outbox import add_event

PRODUCER = "inventory"


class NotFound(DomainError):
    code = "not_found"


class UnknownCustomer(DomainError):
    code = "unknown_customer"


class DuplicateCode(DomainError):
    code = "project_code_taken"


class BadRows(DomainError):
    code = "invalid_units"

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("; ".join(f"row {p.row} {p.field}: {p.message}" for p in problems[:50]))
        self.problems = problems

    def extra(self) -> dict[str, Any]:
        """Each bad row and field, so the file can be fixed in one go."""
        return {"details": [p.as_json() for p in self.problems]}


@dataclass(frozen=True)
class HoldUnit:
    unit_id: uuid.UUID
    customer_id: uuid.UUID
    consultant_id: str
    sees_whole_project: bool = True  # sales control may hold for anyone; a consultant only for their own (R8)


async def create_project(conn: asyncpg.Connection, code: str, name: str, city: str | None,
                         settings: ProjectSettings) -> dict[str, Any]:
    """Create a project and announce it (its settings drive the other services' rules)."""
    project_id = uuid.uuid4()
    async with conn.transaction():
        if not await store.insert_project(conn, project_id, code, name, city, settings):
            raise DuplicateCode(f"a project with code {code} exists")
        await add_event(conn, topics.PROJECT_CREATED, {"project_id": str(project_id), "code": code, "name": name,
                                                       "city": city, "settings": settings.as_json()},
                        producer=PRODUCER, project_id=str(project_id))
    return {"id": str(project_id), "code": code, "name": name, "city": city, "settings": settings.as_json()}


async def import_units(conn: asyncpg.Connection, project_id: uuid.UUID, rows: list[UnitRow],
                       problems: list[RowProblem]) -> int:
    """All or nothing: any bad row (or a unit that exists already) and nothing is imported."""
    if problems:
        raise BadRows(problems)
    async with conn.transaction():
        clashes = await store.insert_units(conn, project_id, rows)
        if clashes:
            index = {(r.building, r.number): i for i, r in enumerate(rows, start=1)}
            raise BadRows([RowProblem(index[c], "number", f"{c[0]}-{c[1]} exists already") for c in clashes])
    return len(rows)


async def hold_unit(conn: asyncpg.Connection, cmd: HoldUnit,
                    authorize: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """R19: hold an available unit for a registered customer; exactly one of concurrent attempts wins."""
    context = await store.hold_context(conn, cmd.unit_id, cmd.customer_id)
    if context is None:
        raise NotFound("no such unit")
    authorize(str(context["project_id"]))
    if not context["known"]:
        raise UnknownCustomer("the customer is not registered in this project")
    if not cmd.sees_whole_project and context["owner_id"] != cmd.consultant_id:
        raise NotFound("no such customer")  # R8: a colleague's customer is not yours to see (as in leads)
    if context["status"] != UnitStatus.AVAILABLE.value:
        raise UnitNotAvailable(f"the unit is {context['status']}")
    hold_id = uuid.uuid4()
    async with conn.transaction():
        taken = await store.take_unit(conn, cmd.unit_id, hold_id, cmd.customer_id, cmd.consultant_id,
                                      context["hold_minutes"] or 30)
        if taken is None:
            raise UnitNotAvailable("someone else holds or bought the unit")
        data = {"hold_id": str(hold_id), "unit_id": str(cmd.unit_id), "building": taken["building"],
                "number": taken["number"], "customer_id": str(cmd.customer_id), "consultant_id": cmd.consultant_id,
                "expires_at": taken["expires_at"], "list_price": taken["list_price"]}
        await add_event(conn, topics.UNIT_LOCKED, data, producer=PRODUCER, project_id=str(taken["project_id"]))
    return {**data, "expires_at": taken["expires_at"].isoformat(), "list_price": str(taken["list_price"])}


async def release_hold(conn: asyncpg.Connection, unit_id: uuid.UUID, hold_id: uuid.UUID, actor: str,
                       may_release_any: bool) -> None:
    """Holder, manager or sales control ends a live hold; the unit is free again."""
    async with conn.transaction():
        row = await store.hold(conn, hold_id, lock=True)
        if row is None or row["unit_id"] != unit_id:
            raise NotFound("no such hold on this unit")
        if not may_release_any and row["consultant_id"] != actor:
            raise NotFound("no such hold on this unit")  # R8: another consultant's hold is not theirs to see
        if row["state"] != "live":
            raise InvalidTransition(f"the hold is {row['state']}", "hold_not_live")
        await store.end_hold(conn, hold_id, "released", actor)
        await _released(conn, row, "cancelled")


async def _released(conn: asyncpg.Connection, hold_row: asyncpg.Record, reason: str) -> None:
    await add_event(conn, topics.UNIT_RELEASED, {"hold_id": str(hold_row["id"]), "unit_id": str(hold_row["unit_id"]),
                                                 "reason": reason},
                    producer=PRODUCER, project_id=str(hold_row["project_id"]))


async def expire_holds(conn: asyncpg.Connection, batch: int = 200) -> int:
    """The sweeper's pass: lapsed holds end, units free, one `unit-released` (expired) each."""
    async with conn.transaction():
        ended = await store.expire_due_holds(conn, batch)
        for row in ended:
            await _released(conn, row, "expired")
    return len(ended)


async def open_sale(conn: asyncpg.Connection, data: Any) -> str:
    """deposit-verified: reserve the unit and open a sale (runs inside the inbox transaction); never two sales."""
    hold_id, unit_id = uuid.UUID(data.hold_id), uuid.UUID(data.unit_id)
    hold_row = await store.hold(conn, hold_id, lock=True)  # the refund consumer locks it too: one at a time
    if hold_row is None or hold_row["unit_id"] != unit_id:
        raise ValueError(f"deposit-verified names hold {hold_id} that inventory never made for unit {unit_id}")
    if await store.sale_of_hold(conn, hold_id):
        return "already_open"
    if await store.refund_seen(conn, str(data.deposit_id)):
        log("deposit_verified_after_refund", unit_id=str(unit_id), deposit_id=str(data.deposit_id))
        return "refunded_already"
    unit_row = await store.unit(conn, unit_id, lock=True)
    sale_id = uuid.uuid4()
    if hold_row["state"] == "live":
        moved = await store.set_unit_status(conn, unit_id, "held", "reserved", reason="deposit_verified",
                                            actor="payments", ref=str(data.deposit_id), sale_id=sale_id)
    else:  # the hold lapsed while the deposit was being counted: reserve only if nobody else has the unit
        moved = await store.set_unit_status(conn, unit_id, "available", "reserved", reason="deposit_verified_late",
                                            actor="payments", ref=str(data.deposit_id), sale_id=sale_id)
    if not moved:
        await store.note_conflict(conn, hold_row, str(data.deposit_id))
        log("deposit_conflict", unit_id=str(unit_id), hold_id=str(hold_id), deposit_id=str(data.deposit_id),
            unit_status=unit_row["status"], action="a manager must refund this deposit")
        return "conflict"
    await conn.execute("UPDATE holds SET state = 'converted', ended_at = now() WHERE id = $1", hold_id)
    await store.insert_sale(conn, sale_id, hold_row, str(data.deposit_id), unit_row["list_price"])
    return "reserved"


async def close_sale_on_refund(conn: asyncpg.Connection, data: Any) -> str:
    """deposit-refunded: the sale it opened closes and the unit is free (reason refunded); or the live hold it
    was for ends; a recorded conflict is settled. Remembered, so a late deposit-verified opens nothing."""
    hold_id, deposit_id = uuid.UUID(data.hold_id), str(data.deposit_id)
    hold_row = await store.hold(conn, hold_id, lock=True)
    if await store.refund_seen(conn, deposit_id):
        return "already_refunded"
    outcome = await _undo_deposit(conn, hold_row, deposit_id) if hold_row is not None else "unknown_hold"
    if await store.settle_conflict(conn, deposit_id):
        outcome = "conflict_settled"
    await store.remember_refund(conn, deposit_id, hold_id, uuid.UUID(data.unit_id), outcome)
    return outcome


async def _undo_deposit(conn: asyncpg.Connection, hold_row: asyncpg.Record, deposit_id: str) -> str:
    sale_row = await conn.fetchrow("SELECT * FROM sales WHERE hold_id = $1 AND closed_at IS NULL FOR UPDATE",
                                   hold_row["id"])
    if sale_row is not None:
        if sale_row["status"] != UnitStatus.RESERVED.value:
            log("refund_after_subscription_ignored", sale_id=str(sale_row["id"]), status=sale_row["status"])
            return "ignored_after_subscription"
        await store.set_unit_status(conn, sale_row["unit_id"], "reserved", "available", reason="deposit_refunded",
                                    actor="payments", ref=deposit_id, clear_hold=True, clear_sale=True)
        await store.update_sale(conn, sale_row["id"], "refunded", closed_at=datetime.now(timezone.utc))
        outcome = "sale_closed"
    elif await store.end_hold(conn, hold_row["id"], "released", "refund") is not None:
        outcome = "hold_released"
    else:
        return "nothing"
    await _released(conn, hold_row, "refunded")
    return outcome


async def _advance_sale(conn: asyncpg.Connection, sale_id: uuid.UUID, target: UnitStatus, actor: str,
                        check: Callable[[UnitStatus, asyncpg.Record], None], **fields: Any) -> asyncpg.Record:
    """Lock the open sale, let the domain `check` it, then move the sale and its unit one step (R35 history)."""
    sale_row = await store.sale(conn, sale_id, lock=True)
    if sale_row is None or sale_row["closed_at"] is not None:
        raise NotFound("no such open sale")
    current = UnitStatus(sale_row["status"])
    check(current, sale_row)
    if not await store.set_unit_status(conn, sale_row["unit_id"], current.value, target.value, reason=target.value,
                                       actor=actor, ref=str(sale_id)):
        raise InvalidTransition("the unit is no longer where the sale says it is")
    await store.update_sale(conn, sale_id, target.value, **fields)
    return sale_row


async def _publish(conn: asyncpg.Connection, topic: topics.Topic, sale_row: asyncpg.Record,
                   data: dict[str, Any]) -> None:
    """A sale's event: its ids first, then the step's own fields."""
    ids = {"sale_id": str(sale_row["id"]), "unit_id": str(sale_row["unit_id"]),
           "customer_id": str(sale_row["customer_id"])}
    await add_event(conn, topic, {**ids, **data}, producer=PRODUCER, project_id=str(sale_row["project_id"]))


async def _project_today(conn: asyncpg.Connection, sale_id: uuid.UUID) -> date:
    """Today's date where the project is (its time zone setting)."""
    raw = await conn.fetchval("SELECT p.settings->>'timezone' FROM sales s JOIN projects p ON p.id = s.project_id"
                              " WHERE s.id = $1", sale_id)
    return datetime.now(ZoneInfo(raw or "Asia/Shanghai")).date()


async def sign_subscription(conn: asyncpg.Connection, sale_id: uuid.UUID, terms: SubscriptionTerms,
                            actor: str, price_of: Callable[[uuid.UUID], Any] | None = None) -> dict[str, Any]:
    """R27: the buyer signed in person; the manager countersigns; the unit is sealed and the deal file opened.
    R21: `price_of(unit_id)` gives the agreed (quoted) price, None for the list price."""
    down = {"amount": str(terms.down_payment), "due_date": terms.due_date.isoformat()}
    async with conn.transaction():
        today = await _project_today(conn, sale_id)
        sale_row = await store.sale(conn, sale_id)
        agreed = (await price_of(sale_row["unit_id"]) if price_of and sale_row else None) or (
            sale_row["price"] if sale_row else None)
        sale_row = await _advance_sale(
            conn, sale_id, UnitStatus.SUBSCRIBED, actor,
            lambda status, row: check_subscription(status, terms, agreed, today),
            subscription={"down_payment": down, "countersigned_by": actor}, price=agreed)
        await _publish(conn, topics.SUBSCRIPTION_SIGNED, sale_row, {
            "price": agreed, "down_payment": {"amount": terms.down_payment, "due_date": down["due_date"]},
            "consultant_id": sale_row["consultant_id"], "hold_id": str(sale_row["hold_id"])})
    return {"sale_id": str(sale_id), "status": "subscribed", "price": str(agreed), "down_payment": down}


async def sign_contract(conn: asyncpg.Connection, sale_id: uuid.UUID, signing: ContractSigning,
                        actor: str) -> dict[str, Any]:
    """R29: buyer in person, or an attorney with a notarised power of attorney; the ID copy is kept."""
    signed_at = datetime.now(timezone.utc)
    async with conn.transaction():
        sale_row = await _advance_sale(
            conn, sale_id, UnitStatus.CONTRACTED, actor, lambda status, _: check_contract(status, signing),
            contract={"contract_no": signing.contract_no, "signatory": signing.signatory,
                      "poa_notarized": signing.poa_notarized, "id_copy_kept": signing.id_copy_kept,
                      "signed_at": signed_at.isoformat(), "countersigned_by": actor})
        await _publish(conn, topics.CONTRACT_SIGNED, sale_row,
                       {"contract_no": signing.contract_no, "signed_at": signed_at})
    return {"sale_id": str(sale_id), "status": "contracted", "contract_no": signing.contract_no,
            "signed_at": signed_at.isoformat()}


def _contract_signed_at(sale_row: asyncpg.Record) -> datetime | None:
    contract = sale_row["contract"]
    contract = orjson.loads(contract) if isinstance(contract, str) else contract
    return datetime.fromisoformat(contract["signed_at"]) if contract and contract.get("signed_at") else None


async def complete_handover(conn: asyncpg.Connection, sale_id: uuid.UUID, handed_over_at: datetime,
                            actor: str) -> dict[str, Any]:
    """R32: keys handed over; the event carries what the property hand-off needs (ids and unit facts)."""
    async with conn.transaction():
        sale_row = await _advance_sale(
            conn, sale_id, UnitStatus.HANDED_OVER, actor,
            lambda status, row: check_handover(status, handed_over_at, _contract_signed_at(row),
                                               datetime.now(timezone.utc)),
            handed_over_at=handed_over_at)
        unit_row = await store.unit(conn, sale_row["unit_id"])
        project_row = await store.project(conn, sale_row["project_id"])
        contract_no = (orjson.loads(sale_row["contract"]) if isinstance(sale_row["contract"], str)
                       else sale_row["contract"])["contract_no"]
        await _publish(conn, topics.HANDOVER_COMPLETED, sale_row, {
            "handed_over_at": handed_over_at, "contract_no": contract_no,
            "project": {"id": str(project_row["id"]), "code": project_row["code"], "name": project_row["name"]},
            "unit": {"building": unit_row["building"], "number": unit_row["number"], "floor": unit_row["floor"],
                     "area_m2": str(unit_row["area_m2"])}})
    return {"sale_id": str(sale_id), "status": "handed_over", "handed_over_at": handed_over_at.isoformat(),
            "contract_no": contract_no}


def quote_unit(unit_row: asyncpg.Record, settings: ProjectSettings, req: QuoteRequest) -> dict[str, Any]:
    """R20, R21: the full cost and plans of a unit."""
    result = quote({"list_price": unit_row["list_price"], "floor_price": unit_row["floor_price"],
                    "area_m2": unit_row["area_m2"]}, req, settings)
    return {"unit_id": str(unit_row["id"]), "floor_price": str(money(unit_row["floor_price"])), **result}
