"""Inventory use cases for a sale's steps after the deposit: subscription, contract, handover, and quotes."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from services.inventory import store
from services.inventory.domain import (
    ContractSigning,
    InvalidTransition,
    ProjectSettings,
    QuoteRequest,
    SubscriptionTerms,
    UnitStatus,
    check_contract,
    check_handover,
    check_subscription,
    quote,
)
from shared.kernel.clock import now_utc
from shared.kernel.defaults import DEFAULTS
from shared.kernel.errors import NotFound
from shared.kernel.money import to_fen
from shared.messaging import topics
from shared.messaging.outbox import add_event


async def _advance_sale(
    conn: asyncpg.Connection,
    sale_id: uuid.UUID,
    target: UnitStatus,
    actor: str,
    check: Callable[[UnitStatus, asyncpg.Record], None],
    **fields: Any,
) -> asyncpg.Record:
    """Lock the open sale, let the domain `check` it, then move the sale and its unit one step (R35 history)."""
    sale_row = await store.sale(conn, sale_id, lock=True)
    if sale_row is None or sale_row["closed_at"] is not None:
        raise NotFound("no such open sale")
    current = UnitStatus(sale_row["status"])
    check(current, sale_row)
    if not await store.set_unit_status(
        conn, sale_row["unit_id"], current.value, target.value, reason=target.value, actor=actor, ref=str(sale_id)
    ):
        raise InvalidTransition("the unit is no longer where the sale says it is")
    await store.update_sale(conn, sale_id, target.value, **fields)
    return sale_row


async def publish_sale_event(
    conn: asyncpg.Connection, topic: topics.Topic, sale_row: asyncpg.Record, data: dict[str, Any]
) -> None:
    """A sale's event: its ids first, then the step's own fields."""
    ids = {
        "sale_id": str(sale_row["id"]),
        "unit_id": str(sale_row["unit_id"]),
        "customer_id": str(sale_row["customer_id"]),
    }
    await add_event(conn, topic, {**ids, **data}, project_id=str(sale_row["project_id"]))


async def _project_today(conn: asyncpg.Connection, sale_id: uuid.UUID) -> date:
    """Today's date where the project is (its time zone setting)."""
    raw = await store.timezone_of_sale(conn, sale_id)
    return now_utc().astimezone(ZoneInfo(raw or DEFAULTS.timezone)).date()


async def sign_subscription(
    conn: asyncpg.Connection,
    sale_id: uuid.UUID,
    terms: SubscriptionTerms,
    countersigner: tuple[str, str],
    price_of: Callable[[uuid.UUID], Any] | None = None,
) -> dict[str, Any]:
    """R27: the buyer signed in person; the manager (or their designee: `countersigner` is who and as what)
    countersigns; the unit is sealed and the deal file opened. R21: `price_of(unit_id)` gives the agreed (quoted)
    price, None for the list price."""
    actor, capacity = countersigner
    down = {"amount": str(terms.down_payment), "due_date": terms.due_date.isoformat()}
    async with conn.transaction():
        today = await _project_today(conn, sale_id)
        agreed = await _agreed_price(conn, sale_id, price_of)
        sale_row = await _advance_sale(
            conn,
            sale_id,
            UnitStatus.SUBSCRIBED,
            actor,
            lambda status, row: check_subscription(status, terms, agreed, today),
            subscription={"down_payment": down, "countersigned_by": actor, "countersigned_as": capacity},
            price=agreed,
        )
        area = await _area_of(conn, sale_row)
        await publish_sale_event(conn, topics.SUBSCRIPTION_SIGNED, sale_row, _subscribed(sale_row, agreed, terms, area))
    return {"sale_id": str(sale_id), "status": "subscribed", "price": str(agreed), "down_payment": down}


def _subscribed(sale_row: asyncpg.Record, agreed: Any, terms: SubscriptionTerms, area: Any) -> dict[str, Any]:
    """subscription-signed's own fields: price, down payment (payments schedules it, R28), consultant, hold, and
    the unit's area (issue 22: the group's reports)."""
    down_payment = {"amount": terms.down_payment, "due_date": terms.due_date.isoformat()}
    return {
        "price": agreed,
        "down_payment": down_payment,
        "consultant_id": sale_row["consultant_id"],
        "hold_id": str(sale_row["hold_id"]),
        "area_m2": area,
    }


async def _area_of(conn: asyncpg.Connection, sale_row: asyncpg.Record) -> Any:
    """The sold unit's area (issue 22: the reports sum areas from the events, never from inventory's tables)."""
    unit_row = await store.unit(conn, sale_row["unit_id"])
    return unit_row["area_m2"] if unit_row is not None else None


async def _agreed_price(
    conn: asyncpg.Connection, sale_id: uuid.UUID, price_of: Callable[[uuid.UUID], Any] | None
) -> Any:
    """The quoted price when the subscription names a quote, else the sale's (list) price; None without a sale
    (the step then answers not found)."""
    sale_row = await store.sale(conn, sale_id)
    if sale_row is None:
        return None
    return (await price_of(sale_row["unit_id"]) if price_of else None) or sale_row["price"]


async def sign_contract(
    conn: asyncpg.Connection, sale_id: uuid.UUID, signing: ContractSigning, actor: str
) -> dict[str, Any]:
    """R29: buyer in person, or an attorney with a notarised power of attorney; the ID copy is kept."""
    signed_at = now_utc()
    contract = {**dataclasses.asdict(signing), "signed_at": signed_at.isoformat(), "countersigned_by": actor}
    async with conn.transaction():
        sale_row = await _advance_sale(
            conn,
            sale_id,
            UnitStatus.CONTRACTED,
            actor,
            lambda status, _: check_contract(status, signing),
            contract=contract,
        )
        signed = {"contract_no": signing.contract_no, "signed_at": signed_at, "price": sale_row["price"]}
        facts = {"area_m2": await _area_of(conn, sale_row), "consultant_id": sale_row["consultant_id"]}
        await publish_sale_event(conn, topics.CONTRACT_SIGNED, sale_row, signed | facts)
    answer = {"sale_id": str(sale_id), "status": "contracted", "contract_no": signing.contract_no}
    return answer | {"signed_at": signed_at.isoformat()}


def _contract_signed_at(sale_row: asyncpg.Record) -> datetime | None:
    contract = sale_row["contract"]
    return datetime.fromisoformat(contract["signed_at"]) if contract and contract.get("signed_at") else None


async def complete_handover(
    conn: asyncpg.Connection, sale_id: uuid.UUID, handed_over_at: datetime, actor: str
) -> dict[str, Any]:
    """R32: keys handed over; the event carries what the property hand-off needs (ids and unit facts)."""
    async with conn.transaction():
        sale_row = await _advance_sale(
            conn,
            sale_id,
            UnitStatus.HANDED_OVER,
            actor,
            lambda status, row: check_handover(status, handed_over_at, _contract_signed_at(row), now_utc()),
            handed_over_at=handed_over_at,
        )
        contract_no = sale_row["contract"]["contract_no"]
        facts = await _handoff_facts(conn, sale_row)
        await publish_sale_event(
            conn,
            topics.HANDOVER_COMPLETED,
            sale_row,
            {"handed_over_at": handed_over_at, "contract_no": contract_no, **facts},
        )
    return {
        "sale_id": str(sale_id),
        "status": "handed_over",
        "handed_over_at": handed_over_at.isoformat(),
        "contract_no": contract_no,
    }


async def _handoff_facts(conn: asyncpg.Connection, sale_row: asyncpg.Record) -> dict[str, Any]:
    """The project and unit as the property company needs them (R33)."""
    unit_row = await store.unit(conn, sale_row["unit_id"])
    project_row = await store.project(conn, sale_row["project_id"])
    assert unit_row is not None and project_row is not None  # the sale's unit and project exist (foreign keys)
    return {
        "project": {"id": str(project_row["id"]), "code": project_row["code"], "name": project_row["name"]},
        "unit": {
            "building": unit_row["building"],
            "number": unit_row["number"],
            "floor": unit_row["floor"],
            "area_m2": str(unit_row["area_m2"]),
        },
    }


def quote_unit(unit_row: asyncpg.Record, settings: ProjectSettings, req: QuoteRequest) -> dict[str, Any]:
    """R20, R21: the full cost and plans of a unit."""
    result = quote(
        {"list_price": unit_row["list_price"], "floor_price": unit_row["floor_price"], "area_m2": unit_row["area_m2"]},
        req,
        settings,
    )
    return {"unit_id": str(unit_row["id"]), "floor_price": str(to_fen(unit_row["floor_price"])), **result}
