"""Inventory's event handlers; each runs inside the inbox transaction (dedupe and effect commit together)."""

from __future__ import annotations

import uuid

import asyncpg

from services.inventory import store, use_cases
from shared.messaging import topics
from shared.messaging.envelope import Envelope
from shared.messaging.inbox import Handlers
from shared.runtime.logs import log
from shared.trust import ownership

HANDLERS = Handlers()


@HANDLERS.on(topics.CUSTOMER_REGISTERED)
async def on_customer_registered(conn: asyncpg.Connection, env: Envelope, data: topics.CustomerRegisteredData) -> None:
    """Read model: a hold needs a customer registered in the unit's project."""
    if env.project_id is None:
        raise ValueError("customer-registered without a project_id")
    project, customer = uuid.UUID(env.project_id), uuid.UUID(data.customer_id)
    await store.remember_customer(conn, project, customer, data.key_visitor)
    await ownership.on_customer_registered(conn, env, data)  # R8: who may hold for them


@HANDLERS.on(topics.VISITOR_TYPE_CHANGED)
async def on_visitor_type_changed(conn: asyncpg.Connection, env: Envelope, data: topics.VisitorTypeChangedData) -> None:
    """R5: a customer re-typed in leads as a key visitor gets no holds (409 `not_a_lead`); re-typed back, may."""
    project, customer = uuid.UUID(data.project_id), uuid.UUID(data.customer_id)
    await store.set_key_visitor(conn, project, customer, data.key_visitor, env.occurred_at)


@HANDLERS.on(topics.DEPOSIT_VERIFIED)
async def on_deposit_verified(conn: asyncpg.Connection, env: Envelope, data: topics.DepositVerifiedData) -> None:
    """The deposit counts (R23): reserve the unit and open the sale."""
    outcome = await use_cases.open_sale(conn, data)
    log("deposit_verified_applied", unit_id=data.unit_id, hold_id=data.hold_id, outcome=outcome)


@HANDLERS.on(topics.DEPOSIT_REFUNDED)
async def on_deposit_refunded(conn: asyncpg.Connection, env: Envelope, data: topics.DepositRefundedData) -> None:
    """A refund frees the unit (reason refunded)."""
    outcome = await use_cases.close_sale_on_refund(conn, data)
    log("deposit_refunded_applied", unit_id=data.unit_id, hold_id=data.hold_id, outcome=outcome)
