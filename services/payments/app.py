"""Wiring of the payments service (finance)."""

from __future__ import annotations

import asyncpg

from services.payments import api, consumers, use_cases
from shared import catalogue as topics
from shared import ownership
from shared.pii import Vault
from shared.runtime import Runtime, ServiceSpec, periodic


async def _overdue_pass(conn: asyncpg.Connection) -> int:
    """R24, R28: flag cash not banked in time; report down payments past due (once each)."""
    return await use_cases.report_overdue(conn) + await use_cases.mark_banking_overdue(conn)


async def _payer_sealing(runtime: Runtime) -> None:
    """R18: payers stored in plain before migration 002 are sealed in the background."""
    vault = Vault(runtime.settings.pii_key)
    await periodic("payer_sealing", 60.0, lambda conn: use_cases.seal_payers(conn, vault))(runtime)


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
            topics.SALE_CANCELLED: consumers.on_sale_cancelled,
            topics.CUSTOMER_REGISTERED: ownership.on_customer_registered,
            topics.OWNERSHIP_CHANGED: ownership.on_ownership_changed,
        },
        publishes=(
            topics.DEPOSIT_VERIFIED,
            topics.DEPOSIT_REFUNDED,
            topics.PAYMENT_RECEIVED,
            topics.PAYMENT_OVERDUE,
            topics.MORTGAGE_APPOINTMENT_SCHEDULED,
        ),
        jobs=[periodic("overdue_watch", 30.0, _overdue_pass), _payer_sealing],
    )
