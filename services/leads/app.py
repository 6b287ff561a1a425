"""Wiring of the leads service (customers and consultants)."""

from __future__ import annotations

from services.leads import api, consumers, use_cases
from shared import catalogue as topics
from shared.pii import Vault
from shared.runtime import Runtime, ServiceSpec, periodic
from shared.settings import get_settings


async def pii_sealer(runtime: Runtime) -> None:
    """R18: rows written in plain before migration 002 are encrypted in the background, a batch at a time."""
    vault = Vault(runtime.settings.pii_key)
    await periodic("pii_sealer", 300.0, lambda conn: use_cases.seal_legacy_pii(conn, vault))(runtime)


def build_spec() -> ServiceSpec:
    """Customers, follow-ups, protection, calls, timeline, deal credit and the property hand-off."""
    vault = Vault(get_settings().pii_key)
    return ServiceSpec(
        name="leads",
        description="Customers and consultants: registration, follow-up, protection (R10), timeline, hand-off.",
        routers=[api.router],
        handlers={
            topics.PROJECT_CREATED: consumers.on_project_created,
            topics.UNIT_LOCKED: consumers.on_unit_locked,
            topics.UNIT_RELEASED: consumers.on_unit_released,
            topics.DEPOSIT_VERIFIED: consumers.on_deposit_verified,
            topics.DEPOSIT_REFUNDED: consumers.on_deposit_refunded,
            topics.SUBSCRIPTION_SIGNED: consumers.on_subscription_signed,
            topics.CONTRACT_SIGNED: consumers.on_contract_signed,
            topics.HANDOVER_COMPLETED: consumers.handoff_builder(vault),
            topics.PAYMENT_RECEIVED: consumers.on_payment_received,
            topics.PAYMENT_OVERDUE: consumers.on_payment_overdue,
            topics.MORTGAGE_APPOINTMENT_SCHEDULED: consumers.on_mortgage_appointment,
            topics.HANDOFF_ACKNOWLEDGED: consumers.on_handoff_acknowledged,
        },
        publishes=(
            topics.CUSTOMER_REGISTERED,
            topics.FOLLOWUP_RECORDED,
            topics.DEAL_CREDITED,
            topics.PROPERTY_HANDOFF,
            topics.OWNERSHIP_CHANGED,
        ),
        jobs=[pii_sealer],
    )
