"""Leads' event handlers: read models, the customer timeline, deal credit (R10) and the hand-off (R18, R32)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg

from services.leads import store, use_cases
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
from shared.defaults import DEFAULTS
from shared.envelope import Envelope
from shared.logs import log
from shared.pii import Vault


async def on_project_created(conn: asyncpg.Connection, env: Envelope, data: ProjectCreatedData) -> None:
    """Read model: protection period (R10), time zone, and code and name for the hand-off."""
    settings = data.settings or {}
    await store.upsert_project(
        conn,
        uuid.UUID(data.project_id),
        data.code,
        data.name,
        int(settings.get("protection_days", DEFAULTS.protection_days)),
        settings.get("timezone", DEFAULTS.timezone),
    )


async def _customer_of(
    conn: asyncpg.Connection,
    customer_id: str | None = None,
    hold_id: str | None = None,
    sale_id: str | None = None,
    unit_id: str | None = None,
) -> uuid.UUID | None:
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


async def _on_timeline(
    conn: asyncpg.Connection, env: Envelope, customer_id: uuid.UUID | None, kind: str, detail: dict[str, Any]
) -> None:
    """Only customers of this service appear; an event about someone unknown here changes nothing."""
    if customer_id is not None and await store.customer_exists(conn, customer_id):
        await store.add_timeline(conn, customer_id, env.occurred_at, kind, detail, env.id)
    else:
        log("timeline_event_without_customer", event_type=env.type, event_id=str(env.id))


async def on_unit_locked(conn: asyncpg.Connection, env: Envelope, data: UnitLockedData) -> None:
    """Read model of holds (hold → consultant, customer, unit) and the customer's timeline."""
    await store.remember_hold(
        conn,
        uuid.UUID(data.hold_id),
        uuid.UUID(data.unit_id),
        uuid.UUID(data.customer_id),
        data.consultant_id,
        data.building,
        data.number,
        env.occurred_at,
    )
    await _on_timeline(
        conn,
        env,
        uuid.UUID(data.customer_id),
        "unit_held",
        {
            "unit_id": data.unit_id,
            "unit": f"{data.building}-{data.number}",
            "by": data.consultant_id,
            "hold_id": data.hold_id,
            "expires_at": data.expires_at,
            "list_price": str(data.list_price),
        },
    )


async def on_unit_released(conn: asyncpg.Connection, env: Envelope, data: UnitReleasedData) -> None:
    customer = await _customer_of(conn, hold_id=data.hold_id, unit_id=data.unit_id)
    await _on_timeline(
        conn, env, customer, "unit_released", {"unit_id": data.unit_id, "hold_id": data.hold_id, "reason": data.reason}
    )


async def on_deposit_verified(conn: asyncpg.Connection, env: Envelope, data: DepositVerifiedData) -> None:
    await _on_timeline(
        conn,
        env,
        uuid.UUID(data.customer_id),
        "deposit_verified",
        {
            "unit_id": data.unit_id,
            "deposit_id": data.deposit_id,
            "amount": str(data.amount),
            "receipt_no": data.receipt_no,
        },
    )


async def on_deposit_refunded(conn: asyncpg.Connection, env: Envelope, data: DepositRefundedData) -> None:
    await _on_timeline(
        conn,
        env,
        uuid.UUID(data.customer_id),
        "deposit_refunded",
        {"unit_id": data.unit_id, "deposit_id": data.deposit_id, "amount": str(data.amount)},
    )


async def on_subscription_signed(conn: asyncpg.Connection, env: Envelope, data: SubscriptionSignedData) -> None:
    """R10: the deal's credit (use case `credit_deal`)."""
    await use_cases.credit_deal(conn, env, data)


async def on_contract_signed(conn: asyncpg.Connection, env: Envelope, data: ContractSignedData) -> None:
    await store.set_contract_no(
        conn, uuid.UUID(data.sale_id), uuid.UUID(data.unit_id), uuid.UUID(data.customer_id), data.contract_no
    )
    await _on_timeline(
        conn,
        env,
        uuid.UUID(data.customer_id),
        "contract_signed",
        {"sale_id": data.sale_id, "contract_no": data.contract_no, "signed_at": data.signed_at},
    )


async def on_payment_received(conn: asyncpg.Connection, env: Envelope, data: PaymentReceivedData) -> None:
    customer = await _customer_of(conn, data.customer_id, sale_id=data.sale_id, unit_id=data.unit_id)
    await _on_timeline(
        conn,
        env,
        customer,
        "payment_received",
        {"sale_id": data.sale_id, "payment_id": data.payment_id, "kind": data.kind, "amount": str(data.amount)},
    )


async def on_payment_overdue(conn: asyncpg.Connection, env: Envelope, data: PaymentOverdueData) -> None:
    await _on_timeline(
        conn,
        env,
        uuid.UUID(data.customer_id),
        "payment_overdue",
        {"sale_id": data.sale_id, "amount": str(data.amount), "due_date": str(data.due_date)},
    )


async def on_mortgage_appointment(
    conn: asyncpg.Connection, env: Envelope, data: MortgageAppointmentScheduledData
) -> None:
    customer = await _customer_of(conn, data.customer_id, sale_id=data.sale_id, unit_id=data.unit_id)
    await _on_timeline(
        conn,
        env,
        customer,
        "mortgage_appointment",
        {"sale_id": data.sale_id, "at": data.at, "place": data.place, "documents": list(data.documents)},
    )


def handoff_builder(vault: Vault) -> Callable[[asyncpg.Connection, Envelope, HandoverCompletedData], Awaitable[None]]:
    """R18, R32: the handler that prepares the resident hand-off, with the vault to open the customer's record."""

    async def on_handover_completed(conn: asyncpg.Connection, env: Envelope, data: HandoverCompletedData) -> None:
        await use_cases.prepare_handoff(conn, vault, env, data)

    return on_handover_completed


async def on_handoff_acknowledged(conn: asyncpg.Connection, env: Envelope, data: HandoffAcknowledgedData) -> None:
    """The property company confirmed the new resident (issue 12): it shows on the customer's timeline."""
    customer_id = await store.customer_of_handoff(conn, data.handoff_id)
    if customer_id is None:  # retried, then dead-lettered with the reason: never dropped silently
        raise LookupError(f"acknowledgement of hand-off {data.handoff_id} that leads never made")
    await store.add_timeline(
        conn,
        customer_id,
        env.occurred_at,
        "handoff_acknowledged",
        {"handoff_id": data.handoff_id, "unit_id": data.unit_id, "resident_account_id": data.resident_account_id},
        env.id,
    )
