"""HTTP API of leads: customers, follow-ups, ownership, calls, timeline, the follow-up standard, the group's reports
and dashboard. Every route of `router` remembers the caller's name from the token (for "who served you before?");
`public` holds what a dashboard link opens without a token."""

from fastapi import APIRouter, Depends

from services.leads.api import (
    aftersales,
    callbacks,
    calls,
    claims,
    customers,
    dashboard,
    departures,
    referrals,
    reports,
    standard,
    visitors,
    weekly_review,
)
from services.leads.api.common import remember_name

router = APIRouter(dependencies=[Depends(remember_name)])
_PARTS = (
    customers,
    calls,
    standard,
    claims,
    callbacks,
    referrals,
    weekly_review,
    aftersales,
    visitors,
    departures,
    reports,
    dashboard,
)  # visitors: R5, beyond the routes docs/api.md calls v1
for _part in (part.router for part in _PARTS):
    router.include_router(_part)

public = dashboard.public
