"""Wiring of the inventory service (sales control, 销控)."""

from __future__ import annotations

import asyncio
import time

from services.inventory import api, consumers, use_cases
from shared import catalogue as topics
from shared import metrics
from shared.logs import log
from shared.runtime import Runtime, ServiceSpec

SWEEP_SECONDS = 1.0


async def hold_sweeper(runtime: Runtime) -> None:
    """Durable expiry (R19): the expiry time lives in the table, so a restart just carries on."""
    while True:
        try:
            async with runtime.pool.acquire() as conn:
                while (expired := await use_cases.expire_holds(conn)) > 0:
                    metrics.HOLDS_EXPIRED.labels("inventory").inc(expired)
                    log("holds_expired", count=expired)
            metrics.SWEEPER_LAST_RUN.labels("inventory").set(time.time())
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # database away: try again next round; the alert watches the last-run gauge
            log("hold_sweeper_failed", error=repr(exc))
        await asyncio.sleep(SWEEP_SECONDS)


def build_spec() -> ServiceSpec:
    """Projects, units, holds, sales, quotes and the board."""
    return ServiceSpec(
        name="inventory",
        description="Sales control (销控): projects, units, holds, sales, quotes and the board.",
        routers=[api.router],
        handlers={
            topics.CUSTOMER_REGISTERED: consumers.on_customer_registered,
            topics.DEPOSIT_VERIFIED: consumers.on_deposit_verified,
            topics.DEPOSIT_REFUNDED: consumers.on_deposit_refunded,
        },
        publishes=(topics.PROJECT_CREATED, topics.UNIT_LOCKED, topics.UNIT_RELEASED, topics.SUBSCRIPTION_SIGNED,
                   topics.CONTRACT_SIGNED, topics.HANDOVER_COMPLETED),
        jobs=[hold_sweeper],
    )
