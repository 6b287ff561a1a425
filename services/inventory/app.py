"""Wiring of the inventory service (sales control, 销控)."""

from __future__ import annotations

import time

from services.inventory import api, consumers, store, use_cases
from services.inventory.api.holds import HOT_ROUTES
from services.inventory.fanout.link import board_fanout
from services.inventory.feed import board_feed
from shared.http.operations import STAFF, Roles
from shared.messaging import topics
from shared.runtime import metrics
from shared.runtime.jobs import periodic
from shared.runtime.service import ServiceSpec
from shared.trust import ownership

# Who may call each route (admin may call all of them): `x-roles` in the OpenAPI document, read by docs/api.md and
# the authorization matrix (tests/e2e), which proves the routes' own checks agree.
ROLES: Roles = {
    "POST /v1/projects": ("admin", "group_manager"),
    "GET /v1/projects": (*STAFF, "group_manager"),
    "PATCH /v1/projects/{project_id}": ("manager",),  # its settings only; an admin or group manager more
    "POST /v1/orgs": ("admin",),
    "GET /v1/orgs": ("group_manager",),
    "PUT /v1/orgs/{org_id}/settings-template": ("group_manager",),
    "POST /v1/projects/{project_id}/units": ("sales_control",),
    "GET /v1/projects/{project_id}/units": STAFF,  # JSON, or the price table (Accept: text/csv or the Excel type)
    "POST /v1/projects/{project_id}/price-adjustments": ("sales_control", "manager"),  # issue 24: 调价
    "GET /v1/projects/{project_id}/price-adjustments": STAFF,
    "GET /v1/projects/{project_id}/conflicts": ("manager", "sales_control"),
    "GET /v1/projects/{project_id}/board": STAFF,  # or a board link instead of a token
    "GET /v1/projects/{project_id}/board/stream": STAFF,  # or a board link instead of a token
    "POST /v1/projects/{project_id}/board-links": ("manager", "sales_control"),
    "GET /v1/units/{unit_id}": STAFF,
    "POST /v1/units/{unit_id}/holds": ("consultant", "sales_control"),
    "DELETE /v1/units/{unit_id}/holds/{hold_id}": ("consultant", "manager", "sales_control"),
    "POST /v1/units/{unit_id}/quote": STAFF,
    "POST /v1/sales/{sale_id}/subscription": ("manager",),  # or a designee the manager named to countersign (R27)
    "PUT /v1/projects/{project_id}/designees/{staff_id}": ("manager",),  # R23, R27: names who may, or withdraws
    "GET /v1/projects/{project_id}/designees": STAFF,
    "POST /v1/sales/{sale_id}/cancellation": ("manager",),
    "POST /v1/sales/{sale_id}/contract": ("manager",),
    "POST /v1/sales/{sale_id}/handover": ("manager", "service"),
    "POST /v1/projects/{project_id}/openings": ("sales_control", "manager"),
    "POST /v1/openings/{opening_id}/entrants": ("sales_control",),
    "POST /v1/openings/{opening_id}/draw": ("sales_control", "manager"),
    "GET /v1/openings/{opening_id}": (*STAFF, "notary"),
    "POST /v1/openings/{opening_id}/kept-out": ("sales_control", "manager"),
    # Issue 25, fair openings: a notary's token (claim `projects`) commits and reveals beside sales control
    "POST /v1/openings/{opening_id}/close-entry": ("sales_control", "manager"),
    "POST /v1/openings/{opening_id}/commitments": ("sales_control", "manager", "notary"),
    "POST /v1/openings/{opening_id}/reveals": ("sales_control", "manager", "notary"),
}


def _swept(expired: int) -> None:
    metrics.HOLDS_EXPIRED.labels("inventory").inc(expired)
    metrics.SWEEPER_LAST_RUN.labels("inventory").set(time.time())


# R19: durable expiry — the expiry time lives in the table, so a restarted sweeper just carries on.
# Issue 27: asleep until the next hold lapses (at most 5 s: a hold taken by another process lapses minutes later).
hold_sweeper = periodic(
    "hold_sweeper", 5.0, use_cases.expire_holds, after_pass=_swept, next_due=use_cases.next_hold_expiry
)
# Issue 19: an opening that started goes live once — its holds outside the lottery's order released — whichever
# process gets it first (locked, skipped by the others, marked in the same transaction); asleep until the next
# drawn opening starts, at most 5 s (an opening drawn meanwhile refuses holds outside its order from its draw on).
opening_gate = periodic("opening_gate", 5.0, use_cases.let_openings_go_live, next_due=use_cases.next_opening_start)


# v1.2: what a migration placed in the group's tree is announced once (the other services learn it from events).
group_announcer = periodic("group_announcer", 600.0, use_cases.announce_group)


def build_spec() -> ServiceSpec:
    """Projects, units, holds, sales, quotes and the board."""
    return ServiceSpec(
        name="inventory",
        description="Sales control (销控): projects, units, holds, sales, quotes and the board.",
        routers=[api.router],
        handlers=consumers.HANDLERS | {topics.OWNERSHIP_CHANGED: ownership.on_ownership_changed},
        publishes=topics.published_by("inventory"),
        jobs=[hold_sweeper, opening_gate, board_feed, board_fanout, group_announcer],
        hot_routes=HOT_ROUTES,
        roles=ROLES,
        pool_min_size=10,  # issue 13: opening day's first storm finds its connections open and its statements ready
        warm_connection=store.prepare_hold_statements,
    )
