"""Wiring of the payments service (finance)."""

from __future__ import annotations

import asyncio

from services.payments import api, consumers, use_cases
from shared import catalogue as topics
from shared.logs import log
from shared.runtime import Runtime, ServiceSpec

CHECK_SECONDS = 30.0


async def overdue_watch(runtime: Runtime) -> None:
    """R24, R28: flag cash not banked in time; report down payments past due (durable: state is in tables)."""
    while True:
        try:
            async with runtime.pool.acquire() as conn:
                reported = await use_cases.report_overdue(conn)
                flagged = await use_cases.mark_banking_overdue(conn)
            if reported or flagged:
                log("overdue_reported", payments=reported, cash_banking=flagged)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log("overdue_watch_failed", error=repr(exc))
        await asyncio.sleep(CHECK_SECONDS)


def build_spec() -> ServiceSpec:
    """Deposits, verification, receipts, banking, refunds, schedules, payments and the ledger."""
    return ServiceSpec(
        name="payments",
        description="Finance: deposits (R22–R26), receipts, banking, refunds, down payments (R28), ledger (R35).",
        routers=[api.router],
        handlers={
            topics.PROJECT_CREATED: consumers.on_project_created,
            topics.UNIT_LOCKED: consumers.on_unit_locked,
            topics.UNIT_RELEASED: consumers.on_unit_released,
            topics.SUBSCRIPTION_SIGNED: consumers.on_subscription_signed,
        },
        publishes=(topics.DEPOSIT_VERIFIED, topics.DEPOSIT_REFUNDED, topics.PAYMENT_RECEIVED, topics.PAYMENT_OVERDUE,
                   topics.MORTGAGE_APPOINTMENT_SCHEDULED),
        jobs=[overdue_watch],
    )
