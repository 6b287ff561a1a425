"""Wiring of the leads service (customers and consultants)."""

from __future__ import annotations

from services.leads import api, consumers, use_cases
from shared.messaging import topics
from shared.runtime.jobs import periodic
from shared.runtime.service import Runtime, ServiceSpec
from shared.runtime.settings import get_settings
from shared.trust.pii import Vault


async def pii_sealer(runtime: Runtime) -> None:
    """R18: rows written in plain before migration 002 are encrypted in the background, a batch at a time."""
    vault = Vault(runtime.settings.pii_key)
    await periodic("pii_sealer", 300.0, lambda conn: use_cases.seal_legacy_pii(conn, vault))(runtime)


async def daily_rhythm(runtime: Runtime) -> None:
    """R13: the managers' 09:00 digest of overdue follow-ups (checked every minute, sent once a day)."""
    await periodic("overdue_digest", 60.0, use_cases.send_digests)(runtime)


async def aftersales_handover(runtime: Runtime) -> None:
    """R31: deals pass to after-sales once the bank appointment, the last step, has come."""
    await periodic("aftersales", 60.0, use_cases.pass_due_deals)(runtime)


def build_spec() -> ServiceSpec:
    """Customers, follow-ups, protection, calls, timeline, deal credit and the property hand-off."""
    vault = Vault(get_settings().pii_key)
    return ServiceSpec(
        name="leads",
        description="Customers and consultants: registration, follow-up, protection (R10), timeline, hand-off.",
        routers=[api.router],
        handlers=consumers.HANDLERS | {topics.HANDOVER_COMPLETED: consumers.handoff_builder(vault)},
        publishes=topics.published_by("leads"),
        jobs=[pii_sealer, daily_rhythm, aftersales_handover],
    )
