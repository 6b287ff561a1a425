"""Wiring of the leads service (customers and consultants)."""

from __future__ import annotations

from services.leads import api, consumers, use_cases
from shared.http.operations import Roles
from shared.messaging import topics
from shared.messaging.inbox import Handlers, combined
from shared.runtime.jobs import periodic
from shared.runtime.service import Runtime, ServiceSpec
from shared.runtime.settings import get_settings
from shared.trust import orgs
from shared.trust.pii import Vault

# Who may call each route (admin may call all of them): `x-roles` in the OpenAPI document, read by docs/api.md and
# the authorization matrix (tests/e2e), which proves the routes' own checks agree.
ROLES: Roles = {
    "POST /v1/customers": ("consultant",),
    "GET /v1/customers/lookup": ("consultant", "manager"),
    "GET /v1/customers": ("consultant", "manager"),
    "GET /v1/customers/{customer_id}": ("consultant", "manager"),
    "PATCH /v1/customers/{customer_id}": ("consultant", "manager"),
    "POST /v1/customers/{customer_id}/followups": ("consultant",),
    "PUT /v1/customers/{customer_id}/grade": ("consultant", "manager"),
    "POST /v1/customers/{customer_id}/assign": ("manager",),
    "GET /v1/customers/{customer_id}/timeline": ("consultant", "manager"),
    "POST /v1/customers/{customer_id}/close": ("consultant", "manager"),
    "POST /v1/customers/{customer_id}/claims": ("consultant",),
    "POST /v1/claims/{claim_id}/decision": ("manager",),
    "GET /v1/claims": ("manager",),
    "POST /v1/customers/{customer_id}/callbacks": ("consultant",),
    "POST /v1/callbacks/{callback_id}/done": ("consultant",),
    "GET /v1/callbacks": ("consultant", "manager"),
    "GET /v1/projects/{project_id}/followups/overdue": ("manager",),
    "GET /v1/projects/{project_id}/referrals": ("manager",),
    "GET /v1/projects/{project_id}/reports/weekly": ("manager",),
    "POST /v1/projects/{project_id}/staff/{staff_id}/departure": ("manager",),  # v1.2 (a group manager too)
    "GET /v1/aftersales/visits": ("service", "manager"),
    "POST /v1/aftersales/visits/{visit_id}": ("service", "manager"),
    "GET /v1/projects/{project_id}/visitors": ("consultant", "manager", "sales_control"),
    "POST /v1/calls": ("consultant",),
    "GET /v1/projects/{project_id}/calls/stats": ("manager", "consultant"),
    # Issue 22, the group's reports: a manager's own projects, a group manager's subtree (with_group_manager)
    "GET /v1/reports/daily": ("manager",),
    "GET /v1/reports/monthly": ("manager",),
    "GET /v1/reports/funnel": ("manager",),
    "GET /v1/reports/consultants": ("manager",),
    "GET /v1/reports/dashboard": ("manager",),  # or a dashboard link instead of a token
    "POST /v1/reports/links": ("manager",),
    "PUT /v1/projects/{project_id}/targets/{month}": ("group_manager",),
}


async def pii_sealer(runtime: Runtime) -> None:
    """R18: rows written in plain before migration 002 are encrypted in the background, a batch at a time."""
    vault = Vault(runtime.settings.pii_key)
    await periodic("pii_sealer", 300.0, lambda conn: use_cases.seal_legacy_pii(conn, vault))(runtime)


async def daily_rhythm(runtime: Runtime) -> None:
    """R13: the managers' 09:00 digest of overdue follow-ups (checked every minute, sent once a day)."""
    await periodic("overdue_digest", 60.0, use_cases.send_digests)(runtime)


async def morning_reports(runtime: Runtime) -> None:
    """Issue 22: each org unit's 日报 from 08:30 in its projects' time zone (asleep until the next 08:30, or until a
    new unit is told)."""
    job = periodic(
        "morning_reports",
        60.0,
        use_cases.send_morning_reports,
        next_due=use_cases.next_morning_report,
        listen=use_cases.MORNING_CHANNEL,
    )
    await job(runtime)


async def aftersales_handover(runtime: Runtime) -> None:
    """R31: deals pass to after-sales once the bank appointment, the last step, has come."""
    await periodic("aftersales", 60.0, use_cases.pass_due_deals)(runtime)


def event_handlers(vault: Vault) -> Handlers:
    """Every event leads consumes, each topic's handlers run in turn in one inbox transaction: its records and
    read models first, then the group's reports (issue 22: a sale counts for the consultant just credited)."""
    return combined(
        consumers.HANDLERS,
        orgs.HANDLERS,
        {topics.HANDOVER_COMPLETED: consumers.handoff_builder(vault)},
        consumers.REPORT_HANDLERS,
    )


def build_spec() -> ServiceSpec:
    """Customers, follow-ups, protection, calls, timeline, deal credit and the property hand-off."""
    vault = Vault(get_settings().pii_key)
    return ServiceSpec(
        name="leads",
        description="Customers and consultants: registration, follow-up, protection (R10), timeline, hand-off.",
        routers=[api.router, api.public],
        handlers=event_handlers(vault),
        publishes=topics.published_by("leads"),
        jobs=[pii_sealer, daily_rhythm, aftersales_handover, morning_reports],
        roles=ROLES,
    )
