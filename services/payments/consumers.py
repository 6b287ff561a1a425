"""Payments' read models (projects, live holds, sales, signed contracts, designees) and the down-payment schedule
(R28)."""

from __future__ import annotations

import uuid

import asyncpg

from services.payments import store, use_cases
from shared.kernel.defaults import ProjectSettings
from shared.messaging import topics
from shared.messaging.envelope import Envelope
from shared.messaging.inbox import Handlers
from shared.trust import orgs

HANDLERS = Handlers()


@HANDLERS.on(topics.PROJECT_CREATED)
async def on_project_created(conn: asyncpg.Connection, env: Envelope, data: topics.ProjectCreatedData) -> None:
    """Read model: receipt prefix (the code) and name, cash limit (R25), banking days (R24), time zone (R28)."""
    rules = ProjectSettings.from_event(data.settings)
    await store.save_project(conn, uuid.UUID(data.project_id), (data.code, data.name), rules)
    await orgs.remember_project(conn, data.project_id, data.org_id)


@HANDLERS.on(topics.PROJECT_CHANGED)
async def on_project_changed(conn: asyncpg.Connection, env: Envelope, data: topics.ProjectChangedData) -> None:
    """v1.2: the rules payments applies from now on (cash limit R25, banking days R24, time zone), the name on its
    receipts and the unit; deposits already taken keep theirs."""
    rules = ProjectSettings.from_event(data.settings)
    await store.save_project(conn, uuid.UUID(data.project_id), (data.code or "", data.name), rules, changed=True)
    await orgs.remember_project(conn, data.project_id, data.org_id)


@HANDLERS.on(topics.UNIT_LOCKED)
async def on_unit_locked(conn: asyncpg.Connection, env: Envelope, data: topics.UnitLockedData) -> None:
    """R22's read model: a hold is live from unit-locked until unit-released."""
    await store.save_hold(
        conn,
        uuid.UUID(data.hold_id),
        uuid.UUID(data.unit_id),
        uuid.UUID(env.project_id),
        uuid.UUID(data.customer_id),
        {
            "consultant_id": data.consultant_id,
            "unit_number": f"{data.building}-{data.number}",
            "expires_at": data.expires_at,
        },
    )


@HANDLERS.on(topics.UNIT_RELEASED)
async def on_unit_released(conn: asyncpg.Connection, env: Envelope, data: topics.UnitReleasedData) -> None:
    """The hold is over, whether or not its unit-locked has been seen yet (topics are not ordered together)."""
    await store.release_hold(conn, uuid.UUID(data.hold_id))


@HANDLERS.on(topics.SUBSCRIPTION_SIGNED)
async def on_subscription_signed(conn: asyncpg.Connection, env: Envelope, data: topics.SubscriptionSignedData) -> None:
    """The sale becomes payable: its down payment is scheduled (R28)."""
    sale_id = uuid.UUID(data.sale_id)
    await store.save_sale(
        conn,
        sale_id,
        uuid.UUID(data.unit_id),
        uuid.UUID(env.project_id),
        uuid.UUID(data.customer_id),
        uuid.UUID(data.hold_id) if data.hold_id else None,
        data.price,
    )
    await store.schedule_payment(conn, sale_id, "down_payment", data.down_payment.amount, data.down_payment.due_date)


@HANDLERS.on(topics.SALE_CANCELLED)
async def on_sale_cancelled(conn: asyncpg.Connection, env: Envelope, data: topics.SaleCancelledData) -> None:
    """退订: payments refunds what the sale received through the normal refund path."""
    await use_cases.cancel_sale(
        conn,
        uuid.UUID(data.sale_id),
        uuid.UUID(data.hold_id) if data.hold_id else None,
        uuid.UUID(data.unit_id),
        uuid.UUID(data.customer_id),
        data.reason,
    )


@HANDLERS.on(topics.CONTRACT_SIGNED)
async def on_contract_signed(conn: asyncpg.Connection, env: Envelope, data: topics.ContractSignedData) -> None:
    """R29: the contract is signed: its copy may be collected (signed for) from now on."""
    await store.save_contract(conn, uuid.UUID(data.sale_id), data.contract_no, data.signed_at)


@HANDLERS.on(topics.DESIGNEE_NAMED)
async def on_designee_named(conn: asyncpg.Connection, env: Envelope, data: topics.DesigneeNamedData) -> None:
    """R23: the manager named (or withdrew) a designee; `take_deposits` lets them take and count deposits."""
    await store.save_designee(conn, uuid.UUID(data.project_id), data.staff_id, list(data.powers), data.named_at)
