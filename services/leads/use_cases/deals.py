"""Leads use case for a deal's credit (R10): who gets it — the owner while protected when it closed, else the
consultant who closed it. It runs inside the consumer's inbox transaction, from subscription-signed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import Touch, credited_consultant, standing_at
from shared.messaging import topics
from shared.messaging.envelope import Envelope
from shared.messaging.outbox import add_event
from shared.messaging.topics import SubscriptionSignedData
from shared.runtime.logs import log


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
