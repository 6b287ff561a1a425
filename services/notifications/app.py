"""Wiring of the notifications service."""

from __future__ import annotations

import asyncio

from services.notifications import api, consumers, use_cases
from services.notifications.channels import development_channels
from shared import catalogue as topics
from shared.logs import log
from shared.runtime import Runtime, ServiceSpec

DISPATCH_SECONDS = 1.0


async def dispatcher(runtime: Runtime) -> None:
    """Send due reminders through their channels; safe with several replicas (SKIP LOCKED)."""
    channels = development_channels()
    while True:
        try:
            async with runtime.pool.acquire() as conn:
                while (sent := await use_cases.dispatch_due(conn, channels)) > 0:
                    log("reminders_dispatched", count=sent)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log("dispatcher_failed", error=repr(exc))
        await asyncio.sleep(DISPATCH_SECONDS)


def build_spec() -> ServiceSpec:
    """Reminders from events, quiet hours, channels."""
    return ServiceSpec(
        name="notifications",
        description="Reminders (R28, R30), overdue notices, congratulations (R32); quiet hours respected (R15).",
        routers=[api.router],
        handlers={
            topics.PROJECT_CREATED: consumers.on_project_created,
            topics.SUBSCRIPTION_SIGNED: consumers.on_subscription_signed,
            topics.MORTGAGE_APPOINTMENT_SCHEDULED: consumers.on_mortgage_appointment,
            topics.PAYMENT_OVERDUE: consumers.on_payment_overdue,
            topics.HANDOVER_COMPLETED: consumers.on_handover_completed,
        },
        jobs=[dispatcher],
    )
