"""Wiring of the payments service (finance)."""

from __future__ import annotations

import asyncpg

from services.payments import api, consumers, use_cases
from shared import catalogue as topics
from shared.runtime import ServiceSpec, periodic


async def _overdue_pass(conn: asyncpg.Connection) -> int:
    """R24, R28: flag cash not banked in time; report down payments past due (once each)."""
    return await use_cases.report_overdue(conn) + await use_cases.mark_banking_overdue(conn)


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
        jobs=[periodic("overdue_watch", 30.0, _overdue_pass)],
    )
