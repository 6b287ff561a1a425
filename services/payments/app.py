"""Wiring of the payments service (finance)."""

from __future__ import annotations

import asyncpg

from services.payments import api, consumers, use_cases
from shared.http.operations import STAFF, Roles
from shared.messaging import topics
from shared.runtime.jobs import periodic
from shared.runtime.service import Runtime, ServiceSpec
from shared.trust import orgs, ownership
from shared.trust.pii import Vault

# Who may call each route (admin may call all of them): `x-roles` in the OpenAPI document, read by docs/api.md and
# the authorization matrix (tests/e2e), which proves the routes' own checks agree.
ROLES: Roles = {
    # R23: also a designee the manager named to take deposits (inventory's PUT /v1/projects/{id}/designees/{staff})
    "POST /v1/deposits": ("finance", "manager"),
    "POST /v1/deposits/{deposit_id}/verifications": ("finance", "manager"),
    "GET /v1/deposits/{deposit_id}/receipt": STAFF,  # JSON, or the printed receipt (Accept: application/pdf)
    "POST /v1/deposits/{deposit_id}/banking": ("finance",),
    "POST /v1/deposits/{deposit_id}/refund": ("manager",),
    "GET /v1/projects/{project_id}/deposits": ("finance", "manager"),
    "POST /v1/sales/{sale_id}/payments": ("finance",),
    "GET /v1/payments/{payment_id}/receipt": STAFF,  # issue 24: a consultant sees only their own customers' receipts
    "POST /v1/sales/{sale_id}/contract-collection": ("manager", "finance"),  # R29
    "POST /v1/sales/{sale_id}/mortgage-appointment": ("consultant", "manager"),
    "GET /v1/sales/{sale_id}/ledger": ("finance", "manager"),
}


async def _overdue_pass(conn: asyncpg.Connection) -> int:
    """R28: report down payments past due (once each)."""
    return await use_cases.report_overdue(conn)


# R24: cash not banked by its deadline is told once; asleep until the next deadline (cash_banking_days 0: at once).
banking_watch = periodic("banking_watch", 30.0, use_cases.mark_banking_overdue, next_due=use_cases.next_banking_due)


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
        handlers=consumers.HANDLERS | ownership.HANDLERS | orgs.HANDLERS,
        publishes=topics.published_by("payments"),
        jobs=[periodic("overdue_watch", 30.0, _overdue_pass), banking_watch, _payer_sealing],
        roles=ROLES,
    )
