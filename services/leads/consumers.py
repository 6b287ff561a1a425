"""Leads' event handlers: read models, the customer timeline, deal credit (R10) and the hand-off (R18, R32)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import credited_consultant
from services.leads.pii import Vault
from shared import catalogue as topics
from shared.envelope import Envelope
from shared.outbox import add_event

PRODUCER = "leads"


async def on_project_created(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
    settings = data.settings or {}
    await store.upsert_project(conn, uuid.UUID(data.project_id), data.code, data.name,
                               int(settings.get("protection_days", 20)), settings.get("timezone", "Asia/Shanghai"))


async def on_unit_locked(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
    await conn.execute(
        "INSERT INTO holds (hold_id, unit_id, customer_id, consultant_id, unit_label) VALUES ($1,$2,$3,$4,$5)"
        " ON CONFLICT (hold_id) DO NOTHING", uuid.UUID(data.hold_id), uuid.UUID(data.unit_id),
        uuid.UUID(data.customer_id), data.consultant_id, f"{data.building}-{data.number}")
    await _on_timeline(conn, env, uuid.UUID(data.customer_id), "unit_held",
                       {"unit": f"{data.building}-{data.number}", "by": data.consultant_id,
                        "expires_at": data.expires_at})


async def _customer_of_hold(conn: asyncpg.Connection, hold_id: str) -> uuid.UUID | None:
    return await conn.fetchval("SELECT customer_id FROM holds WHERE hold_id = $1", uuid.UUID(hold_id))


async def _customer_of_sale(conn: asyncpg.Connection, sale_id: str) -> uuid.UUID | None:
    return await conn.fetchval("SELECT customer_id FROM sales WHERE sale_id = $1", uuid.UUID(sale_id))


async def _on_timeline(conn: asyncpg.Connection, env: Envelope, customer_id: uuid.UUID | None, kind: str,
                       detail: dict[str, Any]) -> None:
    """Only customers of this service appear; an event about someone unknown here changes nothing."""
    if customer_id is not None and await conn.fetchval("SELECT 1 FROM customers WHERE id = $1", customer_id):
        await store.add_timeline(conn, customer_id, env.occurred_at, kind, detail, env.id)


async def on_unit_released(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
    await _on_timeline(conn, env, await _customer_of_hold(conn, data.hold_id), "unit_released", {"reason": data.reason})


async def on_deposit_verified(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
    await _on_timeline(conn, env, uuid.UUID(data.customer_id), "deposit_verified",
                       {"amount": str(data.amount), "receipt_no": data.receipt_no})


async def on_deposit_refunded(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
    await _on_timeline(conn, env, uuid.UUID(data.customer_id), "deposit_refunded", {"amount": str(data.amount)})


async def on_subscription_signed(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
    """R10: credit the deal — the owner while protected, else the consultant who closed it."""
    customer_id = uuid.UUID(data.customer_id)
    closer = data.consultant_id
    if not closer and data.hold_id:
        closer = await conn.fetchval("SELECT consultant_id FROM holds WHERE hold_id = $1", uuid.UUID(data.hold_id))
    await conn.execute("INSERT INTO sales (sale_id, unit_id, customer_id) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING",
                       uuid.UUID(data.sale_id), uuid.UUID(data.unit_id), customer_id)
    row = await store.customer(conn, customer_id)
    if row is None:
        return
    credited, reason = credited_consultant(row["owner_id"], row["protected_until"], closer, env.occurred_at)
    await conn.execute("UPDATE sales SET credited_to = $2, credit_reason = $3 WHERE sale_id = $1",
                       uuid.UUID(data.sale_id), credited, reason)
    await store.add_timeline(conn, customer_id, env.occurred_at, "subscription_signed",
                             {"price": str(data.price), "credited_to": credited}, env.id)
    await add_event(conn, topics.DEAL_CREDITED, {"customer_id": str(customer_id), "sale_id": data.sale_id,
                                                 "unit_id": data.unit_id, "consultant_id": credited, "reason": reason,
                                                 "owner_id": row["owner_id"]},
                    producer=PRODUCER, project_id=env.project_id, causation_id=str(env.id))


async def on_contract_signed(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
    await _on_timeline(conn, env, uuid.UUID(data.customer_id), "contract_signed", {"contract_no": data.contract_no})


async def on_payment_received(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
    customer = uuid.UUID(data.customer_id) if data.customer_id else await _customer_of_sale(conn, data.sale_id)
    await _on_timeline(conn, env, customer, "payment_received",
                       {"kind": data.kind, "amount": str(data.amount)})


async def on_payment_overdue(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
    await _on_timeline(conn, env, uuid.UUID(data.customer_id), "payment_overdue",
                       {"amount": str(data.amount), "due_date": str(data.due_date)})


async def on_mortgage_appointment(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
    customer = uuid.UUID(data.customer_id) if data.customer_id else await _customer_of_sale(conn, data.sale_id)
    await _on_timeline(conn, env, customer, "mortgage_appointment", {"at": data.at, "place": data.place})


def handoff_builder(vault: Vault):
    """R18, R32: the property company gets the resident's name, and the phone only with consent."""

    async def on_handover_completed(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
        customer_id = uuid.UUID(data.customer_id)
        row = await store.customer(conn, customer_id)
        if row is None:
            raise LookupError(f"handover for customer {customer_id} that leads does not know")
        project = data.project or await _project_json(conn, env.project_id)
        resident = {"name": vault.decrypt(row["name_enc"])}
        if row["consent_share"] and row["phone_enc"] is not None:
            resident["phone"] = vault.decrypt(row["phone_enc"])
        await store.add_timeline(conn, customer_id, env.occurred_at, "handed_over",
                                 {"handed_over_at": data.handed_over_at}, env.id)
        await add_event(conn, topics.PROPERTY_HANDOFF, {
            "handoff_id": str(uuid.uuid4()), "unit_id": data.unit_id, "project": project, "unit": data.unit or {},
            "resident": resident, "contract_no": data.contract_no, "handed_over_at": data.handed_over_at},
            producer=PRODUCER, project_id=env.project_id, causation_id=str(env.id))

    return on_handover_completed


async def _project_json(conn: asyncpg.Connection, project_id: str | None) -> dict[str, Any]:
    row = await store.project(conn, uuid.UUID(project_id)) if project_id else None
    return {"id": project_id, "code": row["code"] if row else None, "name": row["name"] if row else None}
