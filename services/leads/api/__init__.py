"""HTTP API of leads: customers, follow-ups, ownership, calls, timeline, the follow-up standard. Every route
remembers the caller's name from the token (for "who served you before?")."""

from fastapi import APIRouter, Depends

from services.leads.api import (
    aftersales,
    callbacks,
    calls,
    claims,
    customers,
    departures,
    referrals,
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
)  # visitors: R5, beyond the routes docs/api.md calls v1
for _part in (part.router for part in _PARTS):
    router.include_router(_part)
