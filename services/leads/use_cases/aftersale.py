"""Leads use cases after the sale: who gets the deal's credit (R10) and the resident hand-off to the property
company (R18, R32). Both run inside the consumer's inbox transaction, from other services' events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import Touch, credited_consultant, resident_for_handoff, standing_at
from services.leads.use_cases.aftercare import open_return_visit
from shared.messaging import topics
from shared.messaging.envelope import Envelope
from shared.messaging.outbox import add_event
from shared.messaging.topics import HandoverCompletedData, SubscriptionSignedData
from shared.runtime.logs import log
from shared.trust.pii import Vault

HANDOFF_NAMESPACE = uuid.UUID("5b0c3a52-9c55-4a38-9f0e-2f6f1f3e7a11")  # one hand-off id per sale, on any replay


async def credit_deal(conn: asyncpg.Connection, env: Envelope, data: SubscriptionSignedData) -> None:
    """R10: credit the deal — the owner while protected when it closed, else the consultant who closed it."""
    customer_id = uuid.UUID(data.customer_id)
    await store.remember_sale(conn, uuid.UUID(data.sale_id), uuid.UUID(data.unit_id), customer_id)
    row = await store.customer(conn, customer_id)
    if row is None:
        log("deal_for_unknown_customer", sale_id=data.sale_id, customer_id=data.customer_id)
        return
    closer = data.consultant_id or await _closer_from_holds(conn, data, customer_id)
    owner, until = await _standing_when_closed(conn, row, env.occurred_at)
    credited, reason = credited_consultant(owner, until, closer, env.occurred_at)
    await store.credit_sale(conn, uuid.UUID(data.sale_id), credited, reason)
    detail = _subscribed(data) | {"credited_to": credited, "credit_reason": reason}
    await store.add_timeline(conn, customer_id, env.occurred_at, "subscription_signed", detail, env.id)
    ids = {"customer_id": str(customer_id), "sale_id": data.sale_id, "unit_id": data.unit_id}
    credit = {"consultant_id": credited, "reason": reason, "owner_id": owner, "closer_id": closer}
    await add_event(
        conn,
        topics.DEAL_CREDITED,
        ids | credit | {"protected_until": until},
        project_id=env.project_id,
        causation_id=str(env.id),
    )
    log("deal_credited", sale_id=data.sale_id, consultant_id=credited, reason=reason)


def _subscribed(data: SubscriptionSignedData) -> dict[str, Any]:
    """The subscription as the customer's timeline shows it."""
    down = {"amount": str(data.down_payment.amount), "due_date": str(data.down_payment.due_date)}
    return {"sale_id": data.sale_id, "unit_id": data.unit_id, "price": str(data.price), "down_payment": down}


async def _standing_when_closed(
    conn: asyncpg.Connection, row: asyncpg.Record, closed_at: datetime
) -> tuple[str, datetime]:
    """R10: the owner and their protection as they stood when the deal closed, not as they stand now."""
    touches = [Touch(at, owner) for at, owner in await store.touches(conn, row["id"])]
    standing = standing_at(touches, await store.protection_days(conn, row["project_id"]), closed_at)
    return standing or (row["owner_id"], row["protected_until"])


async def _closer_from_holds(conn: asyncpg.Connection, data: Any, customer_id: uuid.UUID) -> str | None:
    """Fallback when the event does not name the consultant: whoever held the unit for this buyer."""
    row = await store.hold(conn, uuid.UUID(data.hold_id)) if data.hold_id else None
    row = row or await store.latest_hold_of_unit(conn, uuid.UUID(data.unit_id), customer_id)
    return row["consultant_id"] if row else None


async def prepare_handoff(conn: asyncpg.Connection, vault: Vault, env: Envelope, data: HandoverCompletedData) -> None:
    """R18, R32: the property company gets the resident's name, and the phone only with consent."""
    customer_id = uuid.UUID(data.customer_id)
    row = await store.customer(conn, customer_id)
    if row is None:  # retried, then dead-lettered: a hand-off without its resident is no hand-off
        raise LookupError(f"handover for customer {customer_id} that leads does not know")
    phone = vault.decrypt(row["phone_enc"]) if row["phone_enc"] is not None else None
    resident = resident_for_handoff(vault.decrypt(row["name_enc"]), phone, row["consent_share"])
    handoff_id = str(uuid.uuid5(HANDOFF_NAMESPACE, data.sale_id))
    detail = {"sale_id": data.sale_id, "unit_id": data.unit_id, "handed_over_at": data.handed_over_at}
    detail |= {"handoff_id": handoff_id, "phone_shared": "phone" in resident}
    await store.add_timeline(conn, customer_id, env.occurred_at, "handed_over", detail, env.id)
    await open_return_visit(conn, row, data)  # R31, R33
    await add_event(
        conn,
        topics.PROPERTY_HANDOFF,
        {
            "handoff_id": handoff_id,
            "unit_id": data.unit_id,
            "project": await _project_part(conn, data, env.project_id),
            "unit": await _unit_part(conn, data, customer_id),
            "resident": resident,
            "contract_no": data.contract_no or await _contract_no(conn, data.sale_id),
            "handed_over_at": data.handed_over_at,
        },
        project_id=env.project_id,
        causation_id=str(env.id),
    )
    log("property_handoff_prepared", handoff_id=handoff_id, unit_id=data.unit_id, phone_shared="phone" in resident)


async def _project_part(conn: asyncpg.Connection, data: Any, project_id: str | None) -> dict[str, Any]:
    """{id, code, name}: from the event, filled in from the project read model where it says less."""
    given = dict(data.project or {})
    pid = given.get("id") or project_id
    row = await store.project(conn, uuid.UUID(pid)) if pid else None
    known = {"code": row["code"], "name": row["name"]} if row else {"code": None, "name": None}
    return {"id": pid, "code": given.get("code") or known["code"], "name": given.get("name") or known["name"]}


async def _unit_part(conn: asyncpg.Connection, data: Any, customer_id: uuid.UUID) -> dict[str, Any]:
    """{building, number, floor, area_m2}: from the event, else what the buyer's hold said."""
    unit = {"building": None, "number": None, "floor": None, "area_m2": None} | dict(data.unit or {})
    if unit["building"] is None or unit["number"] is None:
        row = await store.latest_hold_of_unit(conn, uuid.UUID(data.unit_id), customer_id)
        if row is not None:
            unit["building"], unit["number"] = unit["building"] or row["building"], unit["number"] or row["number"]
    if unit["area_m2"] is not None:
        unit["area_m2"] = str(unit["area_m2"])
    return unit


async def _contract_no(conn: asyncpg.Connection, sale_id: str) -> str | None:
    row = await store.sale(conn, uuid.UUID(sale_id))
    return row["contract_no"] if row else None
