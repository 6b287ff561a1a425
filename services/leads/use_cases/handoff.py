"""Leads use case for the resident hand-off to the property company at handover (R18, R32): the resident's name,
and the phone only with consent; the owner's return visit opens with it (R31, R33). It runs inside the consumer's
inbox transaction, from handover-completed."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import resident_for_handoff
from services.leads.use_cases.aftersales import open_return_visit
from shared.messaging import topics
from shared.messaging.envelope import Envelope
from shared.messaging.outbox import add_event
from shared.messaging.topics import HandoverCompletedData
from shared.runtime.logs import log
from shared.trust.pii import Vault

HANDOFF_NAMESPACE = uuid.UUID("5b0c3a52-9c55-4a38-9f0e-2f6f1f3e7a11")  # one hand-off id per sale, on any replay


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
