"""Wiring of the notifications service."""

from __future__ import annotations

import asyncpg

from services.notifications import api, consumers, use_cases
from services.notifications.channels import development_channels
from services.notifications.webhooks import api as webhook_api
from services.notifications.webhooks import use_cases as webhook_cases
from services.notifications.webhooks.sending import Resolver, system_resolver
from services.notifications.webhooks.worker import unacknowledged_watch, webhook_sealer, webhook_worker
from shared.http.operations import SIGNED, STAFF, Roles
from shared.messaging import topics
from shared.runtime.jobs import periodic
from shared.runtime.service import ServiceSpec
from shared.trust import orgs, ownership

CHANNELS = development_channels()

# Who may call each route (admin may call all of them): `x-roles` in the OpenAPI document, read by docs/api.md and
# the authorization matrix (tests/e2e), which proves the routes' own checks agree.
ROLES: Roles = {
    "GET /v1/reminders": STAFF,
    "GET /v1/notifications": STAFF,
    "POST /v1/webhooks": ("manager",),
    "GET /v1/webhooks/{endpoint_id}/deliveries": ("manager",),
    "POST /v1/webhooks/{endpoint_id}/deliveries/{event_id}/retry": ("manager",),
    "POST /v1/webhooks/{endpoint_id}/rotate-secret": ("manager",),
    "POST /v1/handoffs/{handoff_id}/acknowledgement": SIGNED,
}


async def _dispatch(conn: asyncpg.Connection) -> int:
    """Send due reminders; safe with several replicas (SKIP LOCKED)."""
    return await use_cases.dispatch_due(conn, CHANNELS)


# Issue 27: asleep until the next reminder is due or a commit schedules one (NOTIFY estate_reminders).
reminder_dispatch = periodic(
    "reminder_dispatch", 5.0, _dispatch, next_due=use_cases.next_reminder_due, listen="estate_reminders"
)


def build_spec(resolver: Resolver = system_resolver) -> ServiceSpec:
    """Reminders from events, quiet hours, channels; webhooks whose host names `resolver` resolves (tests put one
    they can switch in its place)."""
    return ServiceSpec(
        name="notifications",
        description="Reminders (R28, R30), overdue notices, congratulations (R32); quiet hours respected (R15).",
        routers=[api.router, webhook_api.router],
        handlers=consumers.HANDLERS
        | ownership.HANDLERS
        | orgs.HANDLERS
        | {topics.PROPERTY_HANDOFF: webhook_cases.on_handoff},
        publishes=topics.published_by("notifications"),
        jobs=[reminder_dispatch, webhook_worker(resolver), unacknowledged_watch, webhook_sealer],
        roles=ROLES,
    )
