"""Leads' event handlers: read models, the customer timeline, deal credit (R10) and the hand-off (R18, R32)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import Touch, credited_consultant, resident_for_handoff, standing_at
from shared import catalogue as topics
from shared.catalogue import (
    ContractSignedData,
    DepositRefundedData,
    DepositVerifiedData,
    HandoffAcknowledgedData,
    HandoverCompletedData,
    MortgageAppointmentScheduledData,
    PaymentOverdueData,
    PaymentReceivedData,
    ProjectCreatedData,
    SubscriptionSignedData,
    UnitLockedData,
    UnitReleasedData,
)
from shared.envelope import Envelope
from shared.logs import log
from shared.outbox import add_event
from shared.pii import Vault

PRODUCER = "leads"
HANDOFF_NAMESPACE = uuid.UUID("5b0c3a52-9c55-4a38-9f0e-2f6f1f3e7a11")  # one hand-off id per sale, on any replay


async def on_project_created(conn: asyncpg.Connection, env: Envelope, data: ProjectCreatedData) -> None:
    """Read model: protection period (R10), time zone, and code and name for the hand-off."""
    settings = data.settings or {}
    await store.upsert_project(conn, uuid.UUID(data.project_id), data.code, data.name,
                               int(settings.get("protection_days", store.DEFAULT_PROTECTION_DAYS)),
                               settings.get("timezone", store.DEFAULT_TIMEZONE))


async def _customer_of(conn: asyncpg.Connection, customer_id: str | None = None, hold_id: str | None = None,
                       sale_id: str | None = None, unit_id: str | None = None) -> uuid.UUID | None:
    """The customer an event is about: named, else through its hold or sale, else the unit's latest hold."""
    if customer_id:
        return uuid.UUID(customer_id)
    if hold_id and (row := await store.hold(conn, uuid.UUID(hold_id))):
        return row["customer_id"]
    if sale_id and (row := await store.sale(conn, uuid.UUID(sale_id))):
        return row["customer_id"]
    if unit_id and (row := await store.latest_hold_of_unit(conn, uuid.UUID(unit_id))):
        return row["customer_id"]
    return None


async def _on_timeline(conn: asyncpg.Connection, env: Envelope, customer_id: uuid.UUID | None, kind: str,
                       detail: dict[str, Any]) -> None:
    """Only customers of this service appear; an event about someone unknown here changes nothing."""
    if customer_id is not None and await store.customer_exists(conn, customer_id):
        await store.add_timeline(conn, customer_id, env.occurred_at, kind, detail, env.id)
    else:
        log("timeline_event_without_customer", event_type=env.type, event_id=str(env.id))


async def on_unit_locked(conn: asyncpg.Connection, env: Envelope, data: UnitLockedData) -> None:
    """Read model of holds (hold → consultant, customer, unit) and the customer's timeline."""
    await store.remember_hold(conn, uuid.UUID(data.hold_id), uuid.UUID(data.unit_id), uuid.UUID(data.customer_id),
                              data.consultant_id, data.building, data.number, env.occurred_at)
    await _on_timeline(conn, env, uuid.UUID(data.customer_id), "unit_held", {
        "unit_id": data.unit_id, "unit": f"{data.building}-{data.number}", "by": data.consultant_id,
        "hold_id": data.hold_id, "expires_at": data.expires_at, "list_price": str(data.list_price)})


async def on_unit_released(conn: asyncpg.Connection, env: Envelope, data: UnitReleasedData) -> None:
    customer = await _customer_of(conn, hold_id=data.hold_id, unit_id=data.unit_id)
    await _on_timeline(conn, env, customer, "unit_released",
                       {"unit_id": data.unit_id, "hold_id": data.hold_id, "reason": data.reason})


async def on_deposit_verified(conn: asyncpg.Connection, env: Envelope, data: DepositVerifiedData) -> None:
    await _on_timeline(conn, env, uuid.UUID(data.customer_id), "deposit_verified", {
        "unit_id": data.unit_id, "deposit_id": data.deposit_id, "amount": str(data.amount),
        "receipt_no": data.receipt_no})


async def on_deposit_refunded(conn: asyncpg.Connection, env: Envelope, data: DepositRefundedData) -> None:
    await _on_timeline(conn, env, uuid.UUID(data.customer_id), "deposit_refunded",
                       {"unit_id": data.unit_id, "deposit_id": data.deposit_id, "amount": str(data.amount)})


async def on_subscription_signed(conn: asyncpg.Connection, env: Envelope, data: SubscriptionSignedData) -> None:
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
    await store.add_timeline(conn, customer_id, env.occurred_at, "subscription_signed", {
        "sale_id": data.sale_id, "unit_id": data.unit_id, "price": str(data.price),
        "down_payment": {"amount": str(data.down_payment.amount), "due_date": str(data.down_payment.due_date)},
        "credited_to": credited, "credit_reason": reason}, env.id)
    await add_event(conn, topics.DEAL_CREDITED, {
        "customer_id": str(customer_id), "sale_id": data.sale_id, "unit_id": data.unit_id,
        "consultant_id": credited, "reason": reason, "owner_id": owner, "closer_id": closer,
        "protected_until": until},
        producer=PRODUCER, project_id=env.project_id, causation_id=str(env.id))
    log("deal_credited", sale_id=data.sale_id, consultant_id=credited, reason=reason)


async def _standing_when_closed(conn: asyncpg.Connection, row: asyncpg.Record,
                                closed_at: datetime) -> tuple[str, datetime]:
    """R10: the owner and their protection as they stood when the deal closed, not as they stand now."""
    touches = [Touch(at, owner) for at, owner in await store.touches(conn, row["id"])]
    standing = standing_at(touches, await store.protection_days(conn, row["project_id"]), closed_at)
    return standing or (row["owner_id"], row["protected_until"])


async def _closer_from_holds(conn: asyncpg.Connection, data: Any, customer_id: uuid.UUID) -> str | None:
    """Fallback when the event does not name the consultant: whoever held the unit for this buyer."""
    row = await store.hold(conn, uuid.UUID(data.hold_id)) if data.hold_id else None
    row = row or await store.latest_hold_of_unit(conn, uuid.UUID(data.unit_id), customer_id)
    return row["consultant_id"] if row else None


async def on_contract_signed(conn: asyncpg.Connection, env: Envelope, data: ContractSignedData) -> None:
    await store.set_contract_no(conn, uuid.UUID(data.sale_id), uuid.UUID(data.unit_id), uuid.UUID(data.customer_id),
                              data.contract_no)
    await _on_timeline(conn, env, uuid.UUID(data.customer_id), "contract_signed",
                       {"sale_id": data.sale_id, "contract_no": data.contract_no, "signed_at": data.signed_at})


async def on_payment_received(conn: asyncpg.Connection, env: Envelope, data: PaymentReceivedData) -> None:
    customer = await _customer_of(conn, data.customer_id, sale_id=data.sale_id, unit_id=data.unit_id)
    await _on_timeline(conn, env, customer, "payment_received", {
        "sale_id": data.sale_id, "payment_id": data.payment_id, "kind": data.kind, "amount": str(data.amount)})


async def on_payment_overdue(conn: asyncpg.Connection, env: Envelope, data: PaymentOverdueData) -> None:
    await _on_timeline(conn, env, uuid.UUID(data.customer_id), "payment_overdue",
                       {"sale_id": data.sale_id, "amount": str(data.amount), "due_date": str(data.due_date)})


async def on_mortgage_appointment(conn: asyncpg.Connection, env: Envelope, data: MortgageAppointmentScheduledData) -> None:
    customer = await _customer_of(conn, data.customer_id, sale_id=data.sale_id, unit_id=data.unit_id)
    await _on_timeline(conn, env, customer, "mortgage_appointment", {
        "sale_id": data.sale_id, "at": data.at, "place": data.place, "documents": list(data.documents)})


def handoff_builder(vault: Vault):
    """R18, R32: the property company gets the resident's name, and the phone only with consent."""

    async def on_handover_completed(conn: asyncpg.Connection, env: Envelope, data: HandoverCompletedData) -> None:
        customer_id = uuid.UUID(data.customer_id)
        row = await store.customer(conn, customer_id)
        if row is None:  # retried, then dead-lettered: a hand-off without its resident is no hand-off
            raise LookupError(f"handover for customer {customer_id} that leads does not know")
        phone = vault.decrypt(row["phone_enc"]) if row["phone_enc"] is not None else None
        resident = resident_for_handoff(vault.decrypt(row["name_enc"]), phone, row["consent_share"])
        handoff_id = uuid.uuid5(HANDOFF_NAMESPACE, data.sale_id)
        await store.add_timeline(conn, customer_id, env.occurred_at, "handed_over", {
            "sale_id": data.sale_id, "unit_id": data.unit_id, "handed_over_at": data.handed_over_at,
            "handoff_id": str(handoff_id), "phone_shared": "phone" in resident}, env.id)
        await add_event(conn, topics.PROPERTY_HANDOFF, {
            "handoff_id": str(handoff_id), "unit_id": data.unit_id,
            "project": await _project_part(conn, data, env.project_id),
            "unit": await _unit_part(conn, data, customer_id), "resident": resident,
            "contract_no": data.contract_no or await _contract_no(conn, data.sale_id),
            "handed_over_at": data.handed_over_at}, producer=PRODUCER, project_id=env.project_id,
            causation_id=str(env.id))
        log("property_handoff_prepared", handoff_id=str(handoff_id), unit_id=data.unit_id,
            phone_shared="phone" in resident)

    return on_handover_completed


async def _project_part(conn: asyncpg.Connection, data: Any, project_id: str | None) -> dict[str, Any]:
    """{id, code, name}: from the event, filled in from the project read model where it says less."""
    given = dict(data.project or {})
    pid = given.get("id") or project_id
    row = await store.project(conn, uuid.UUID(pid)) if pid else None
    return {"id": pid, "code": given.get("code") or (row["code"] if row else None),
            "name": given.get("name") or (row["name"] if row else None)}


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


async def on_handoff_acknowledged(conn: asyncpg.Connection, env: Envelope, data: HandoffAcknowledgedData) -> None:
    """The property company confirmed the new resident (issue 12): it shows on the customer's timeline."""
    customer_id = await store.customer_of_handoff(conn, data.handoff_id)
    if customer_id is None:  # retried, then dead-lettered with the reason: never dropped silently
        raise LookupError(f"acknowledgement of hand-off {data.handoff_id} that leads never made")
    await store.add_timeline(conn, customer_id, env.occurred_at, "handoff_acknowledged", {
        "handoff_id": data.handoff_id, "unit_id": data.unit_id,
        "resident_account_id": data.resident_account_id}, env.id)
