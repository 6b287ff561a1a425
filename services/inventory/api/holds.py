"""A unit's holds (R19): taken and released.

A hold is asked for by two routes that share every fact below: the framework's (`hold_unit`) and the hot route
(issue 13, `shared/hot.py`: on opening day every consultant posts at once and most lose), which answers the common
request before the framework — a valid token, a JSON object sent as `application/json` that `NewHold` reads — and
leaves everything else (a missing token, an odd body, an Idempotency-Key) to the framework's route, so the
framework's answers stay the only ones for those. Both build the command with `hold_command`, take the hold with
the one use case at the process's one `HoldDesk`, and answer a `Hold`.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError

from services.inventory import use_cases
from services.inventory.api.common import project_of_unit
from services.inventory.use_cases import HoldDesk, HoldUnit
from shared.http.api_errors import ApiError
from shared.http.auth import Principal, Who, principal_from_header
from shared.http.fields import Id
from shared.http.hot_routes import HotAnswer, HotRequest, HotRoute
from shared.http.requests import parse_uuid, pool_of
from shared.trust.ownership import WHOLE_PROJECT_ROLES

HOLDS_PATH = "/v1/units/{unit_id}/holds"
HOLD_ROLES = ("consultant", "sales_control")  # who may hold (and admin, who passes every role check)
RELEASE_ROLES = ("consultant", "manager", "sales_control")
_UNIT_ID = "[0-9a-fA-F-]{32,36}"  # what the hot route takes for a unit id (the use case parses it)

router = APIRouter(tags=["holds"])


class NewHold(BaseModel):
    customer_id: Id


class Hold(BaseModel):
    """A hold taken (201), from either route."""

    hold_id: str
    unit_id: str
    customer_id: str
    consultant_id: str
    expires_at: str


def hold_command(unit_id: str, body: NewHold, who: Principal) -> HoldUnit:
    """The hold asked for, once the asker may hold: 403 for a role that may not, 422 for an id that is none."""
    who.require_role(*HOLD_ROLES)
    uid = parse_uuid(unit_id, "unit id")
    try:
        customer = uuid.UUID(body.customer_id)
    except ValueError:
        raise ApiError("unknown_customer", "the customer is not registered in this project", 422) from None
    return HoldUnit(uid, customer, who.sub, sees_whole_project=who.role in WHOLE_PROJECT_ROLES)


def hold_desk(state: Any) -> HoldDesk:
    """The process's one hold desk (the app's), its levers from the app's settings; made at its first hold."""
    desk = getattr(state, "hold_desk", None)
    if desk is None:
        runtime = state.runtime
        desk = state.hold_desk = HoldDesk.for_settings(lambda: runtime.pool, state.settings)
    return desk


async def take_hold(state: Any, unit_id: str, body: NewHold, who: Principal) -> Hold:
    """What both routes do: the command, the one use case at the app's desk, the answer."""
    held = await use_cases.hold_unit(hold_desk(state), hold_command(unit_id, body, who), who.require_project)
    return Hold.model_validate(held)


@router.post(HOLDS_PATH, status_code=201, response_model=Hold)
async def hold_unit(unit_id: str, body: NewHold, request: Request, who: Who) -> Hold:
    return await take_hold(request.app.state, unit_id, body, who)


async def hot_hold(request: HotRequest) -> HotAnswer | None:
    """`hold_unit` before the framework, or None to leave the request to it; a refusal raised here leaves through
    shared.hot's one mapping, as from the framework."""
    asked = _asked(request)
    if asked is None:
        return None
    held = await take_hold(request.state, request.match["unit_id"], *asked)
    return 201, held.model_dump_json().encode()


def _asked(request: HotRequest) -> tuple[NewHold, Principal] | None:
    """The body and who asks, when the request has the common shape; None hands it to the framework."""
    if (request.header(b"content-type") or "").split(";")[0].strip() != "application/json":
        return None  # issue 19: no Content-Type, or another media type, is the framework's to read (and refuse)
    try:
        who = principal_from_header(request.header(b"authorization"), request.state.settings.jwt_secret)
        return NewHold.model_validate_json(request.body), who
    except (ApiError, ValidationError):
        return None


HOT_ROUTES = [HotRoute.at("POST", HOLDS_PATH, hot_hold, unit_id=_UNIT_ID)]


class Released(BaseModel):
    hold_id: str
    released: bool


@router.delete(HOLDS_PATH + "/{hold_id}", response_model=Released)
async def release_hold(unit_id: str, hold_id: str, request: Request, who: Who) -> dict:
    who.require_role(*RELEASE_ROLES)
    hid = parse_uuid(hold_id, "hold id")
    async with pool_of(request).acquire() as conn:
        await project_of_unit(conn, unit_id, who)
        await use_cases.release_hold(
            conn, uuid.UUID(unit_id), hid, who.sub, may_release_any=who.role in WHOLE_PROJECT_ROLES
        )
    return {"hold_id": hold_id, "released": True}
