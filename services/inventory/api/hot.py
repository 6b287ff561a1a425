"""The hold (R19) as a hot route (issue 13): on opening day every consultant posts at once and most lose.

It answers the common request — a valid token of a role that may hold, a JSON object sent as `application/json`
with a `customer_id` that is an id — with the same use case as `api/units.py`'s route, and leaves everything else
(a missing token, a wrong role, an odd body, a body without that Content-Type) to that route, so the framework's
answers stay the only ones for those.
"""

from __future__ import annotations

import re
import uuid

import orjson

from services.inventory import use_cases
from services.inventory.use_cases import HoldUnit
from shared.http.api_errors import ApiError
from shared.http.auth import Principal, principal_from_header
from shared.http.hot_routes import HotAnswer, HotRequest, HotRoute
from shared.trust.ownership import WHOLE_PROJECT_ROLES

_HOLDERS = frozenset({"consultant", "sales_control", "admin"})
_ID = "[0-9a-fA-F-]{32,36}"
_ANSWERED = ("hold_id", "unit_id", "customer_id", "consultant_id", "expires_at")


async def hold(request: HotRequest) -> HotAnswer | None:
    """`POST /v1/units/{unit_id}/holds`, or None for the framework's route."""
    asked = _asked(request)
    if asked is None:
        return None
    command, who = asked  # a refusal raised below leaves through shared.hot's one mapping
    if request.state.settings.hold_reads_together:
        held = await use_cases.hold_unit_in_a_storm(request.state, command, who.require_project)
    else:
        async with request.state.runtime.pool.acquire() as conn:
            held = await use_cases.hold_unit(conn, command, who.require_project)
    return 201, orjson.dumps({k: held[k] for k in _ANSWERED})


def _asked(request: HotRequest) -> tuple[HoldUnit, Principal] | None:
    """The hold asked for and who asks, when the request has the common shape; None hands it to the framework."""
    if (request.header(b"content-type") or "").split(";")[0].strip() != "application/json":
        return None  # issue 19: no Content-Type, or another media type, is the framework's to read (and refuse)
    try:
        who = principal_from_header(request.header(b"authorization"), request.state.settings.jwt_secret)
        body = orjson.loads(request.body)
        customer = body["customer_id"] if type(body) is dict else None
        if who.role not in _HOLDERS or type(customer) is not str or len(customer) > 64:
            return None
        unit_id, customer_id = uuid.UUID(request.match["unit_id"]), uuid.UUID(customer)
    except (ApiError, orjson.JSONDecodeError, KeyError, ValueError):
        return None
    at_once = request.state.settings.hold_in_one_statement
    return HoldUnit(unit_id, customer_id, who.sub, who.role in WHOLE_PROJECT_ROLES, at_once), who


HOT_ROUTES = [HotRoute("POST", re.compile(f"/v1/units/(?P<unit_id>{_ID})/holds"), "/v1/units/{unit_id}/holds", hold)]
