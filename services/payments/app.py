"""Wiring of the payments service (finance)."""

from __future__ import annotations

import asyncpg

from services.payments import api, consumers, use_cases
from shared.messaging import topics
from shared.runtime.jobs import periodic
from shared.runtime.service import Runtime, ServiceSpec
from shared.trust import ownership
from shared.trust.pii import Vault


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
        handlers=consumers.HANDLERS | ownership.HANDLERS,
        publishes=topics.published_by("payments"),
        jobs=[periodic("overdue_watch", 30.0, _overdue_pass), _payer_sealing],
    )
