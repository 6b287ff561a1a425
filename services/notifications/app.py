"""Wiring of the notifications service."""

from __future__ import annotations

import asyncpg

from services.notifications import api, consumers, use_cases
from services.notifications.channels import development_channels
from services.notifications.webhooks import api as webhook_api
from services.notifications.webhooks import use_cases as webhook_cases
from services.notifications.webhooks.worker import unacknowledged_watch, webhook_worker
from shared import catalogue as topics
from shared import ownership
from shared.runtime import ServiceSpec, periodic

CHANNELS = development_channels()


async def _dispatch(conn: asyncpg.Connection) -> int:
    """Send due reminders; safe with several replicas (SKIP LOCKED)."""
    return await use_cases.dispatch_due(conn, CHANNELS)


def build_spec() -> ServiceSpec:
    """Reminders from events, quiet hours, channels."""
    return ServiceSpec(
        name="notifications",
        description="Reminders (R28, R30), overdue notices, congratulations (R32); quiet hours respected (R15).",
        routers=[api.router, webhook_api.router],
        handlers={
            topics.PROJECT_CREATED: consumers.on_project_created,
            topics.SUBSCRIPTION_SIGNED: consumers.on_subscription_signed,
            topics.MORTGAGE_APPOINTMENT_SCHEDULED: consumers.on_mortgage_appointment,
            topics.PAYMENT_OVERDUE: consumers.on_payment_overdue,
            topics.HANDOVER_COMPLETED: consumers.on_handover_completed,
            topics.PAYMENT_RECEIVED: consumers.on_payment_received,
            topics.SALE_CANCELLED: consumers.on_sale_cancelled,
            topics.DEPOSIT_REFUNDED: consumers.on_deposit_refunded,
            topics.PROPERTY_HANDOFF: webhook_cases.on_handoff,
            topics.CUSTOMER_REGISTERED: ownership.on_customer_registered,
            topics.OWNERSHIP_CHANGED: ownership.on_ownership_changed,
        },
        publishes=(topics.HANDOFF_ACKNOWLEDGED,),
        jobs=[periodic("reminder_dispatch", 1.0, _dispatch), webhook_worker, unacknowledged_watch],
    )
