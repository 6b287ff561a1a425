"""HTTP API of webhooks: endpoints (admin, manager), the delivery log, retry, rotation; the acknowledgement."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from services.notifications.webhooks import use_cases
from services.notifications.webhooks.sending import Resolver, system_resolver
from shared.http.api_errors import ApiError
from shared.http.auth import Who
from shared.http.fields import Id, Name, Short, Url
from shared.http.idempotency import shown_once
from shared.http.paging import Page, Paging, paged
from shared.http.requests import in_pool, parse_uuid, pool_of

router = APIRouter()  # what app.py includes: one router per tag (an SDK's module), joined at the bottom
endpoints = APIRouter(tags=["webhooks"])
handoffs = APIRouter(tags=["handoffs"])  # the property company's side
ENDPOINT_ROLES = ("admin", "manager")  # who registers a property company's endpoint and looks after it


class NewEndpoint(BaseModel):
    project_id: Id
    url: Url
    events: Annotated[list[Name], Field(max_length=5)]
    description: Short | None = None


_SHOWN_ONCE = (
    "shown once: keep it to verify deliveries and sign acknowledgements. A replay of this call by its "
    "Idempotency-Key answers null here (and names it in `withheld`): the secret is never stored in clear; "
    "rotate it if it was lost"
)
_WITHHELD = "fields of the first answer not repeated by an Idempotency-Key replay (empty on the first answer)"


class EndpointCreated(BaseModel):
    id: str
    secret: str | None = Field(description=_SHOWN_ONCE)
    url: str
    events: list[str]
    withheld: list[str] = Field(default_factory=list, description=_WITHHELD)


class Rotated(BaseModel):
    id: str
    secret: str | None = Field(description=_SHOWN_ONCE)
    previous_valid_until: str
    withheld: list[str] = Field(default_factory=list, description=_WITHHELD)


class Attempt(BaseModel):
    event_id: str
    topic: str
    at: str
    status_code: int | None
    duration_ms: int
    error: str | None
    status: str


class Retried(BaseModel):
    endpoint_id: str
    event_id: str
    status: str


class Acknowledgement(BaseModel):
    resident_account_id: Short | None = None


class Acknowledged(BaseModel):
    handoff_id: str
    acknowledged: bool


def host_resolver() -> Resolver:
    """How endpoint host names are resolved at registration (a dependency: tests put a switchable one in its place;
    the delivery worker gets the same from `build_spec`)."""
    return system_resolver


@endpoints.post(
    "/v1/webhooks", status_code=201, response_model=EndpointCreated, dependencies=[Depends(shown_once("secret"))]
)
async def register_webhook(
    body: NewEndpoint, request: Request, who: Who, resolver: Resolver = Depends(host_resolver)
) -> dict:
    """A property company's endpoint for the hand-off topics; the secret is shown once."""
    who.require_role(*ENDPOINT_ROLES)
    pid = parse_uuid(body.project_id, "project_id")
    who.require_project(str(pid))
    allow_private = request.app.state.settings.webhook_allow_private
    async with pool_of(request).acquire() as conn:
        return await use_cases.register_endpoint(
            conn, pid, body.url, body.events, body.description, who.sub, allow_private, resolver
        )


@endpoints.get("/v1/webhooks/{endpoint_id}/deliveries", response_model=list[Attempt])
async def list_deliveries(
    endpoint_id: str,
    request: Request,
    page: Paging,
    who: Who,
    status: Literal["pending", "delivered", "failed"] | None = None,
) -> Response:
    """The delivery log: every attempt with its event id, time, status code, duration and error."""
    after = _attempt_cursor(page)
    who.require_role(*ENDPOINT_ROLES)
    eid = parse_uuid(endpoint_id, "webhook id")
    async with pool_of(request).acquire() as conn:
        listed = await use_cases.attempts_page(conn, eid, who, status, (after, page.fetch_size()))
    return paged(request, page, listed, key_of=lambda item: item[0], render=lambda item: item[1])


def _attempt_cursor(page: Page) -> int | None:
    if page.after is None:
        return None
    if len(page.after) != 1 or not page.after[0].isdigit():
        raise ApiError("invalid_cursor", "cursor is not one this API gave out", 422)
    return int(page.after[0])


@endpoints.post("/v1/webhooks/{endpoint_id}/deliveries/{event_id}/retry", response_model=Retried)
async def retry_delivery(endpoint_id: str, event_id: str, request: Request, who: Who) -> dict:
    """Deliver again now (the same webhook-id: receivers dedupe on it)."""
    who.require_role(*ENDPOINT_ROLES)
    eid, evid = parse_uuid(endpoint_id, "webhook id"), parse_uuid(event_id, "event id")
    return await in_pool(request, use_cases.retry, eid, evid, who)


@endpoints.post(
    "/v1/webhooks/{endpoint_id}/rotate-secret", response_model=Rotated, dependencies=[Depends(shown_once("secret"))]
)
async def rotate_secret(endpoint_id: str, request: Request, who: Who) -> dict:
    """A new secret; for 24 h deliveries carry both signatures."""
    who.require_role(*ENDPOINT_ROLES)
    eid = parse_uuid(endpoint_id, "webhook id")
    return await in_pool(request, use_cases.rotate_secret, eid, who)


@handoffs.post(
    "/v1/handoffs/{handoff_id}/acknowledgement",
    response_model=Acknowledged,
    openapi_extra={
        "security": [],
        "description": "Signed like a delivery (Standard Webhooks headers "
        "webhook-id, webhook-timestamp, webhook-signature) with "
        "the endpoint's secret; no bearer token.",
    },
)
async def acknowledge_handoff(handoff_id: Name, body: Acknowledgement, request: Request) -> dict:
    """The property company says "received": event handoff-acknowledged; unsigned or wrongly signed → 401."""
    raw = request.scope.get("estate.body", b"")
    headers = {k: v for k, v in request.headers.items() if k.startswith("webhook-")}
    return await in_pool(request, use_cases.acknowledge, handoff_id, raw, headers, body.resident_account_id)


router.include_router(endpoints)
router.include_router(handoffs)
