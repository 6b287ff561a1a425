"""HTTP API of notifications: reminders and messages, limited to the caller's projects and, for a consultant,
to their own customers (R8)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.notifications import use_cases
from shared.http.auth import Who
from shared.http.fields import Id, Short
from shared.http.paging import Paging, after_time_and_id, paged
from shared.http.requests import parse_uuid, pool_of

router = APIRouter()  # what app.py includes: one router per tag (an SDK's module), joined at the bottom
reminders = APIRouter(tags=["reminders"])
messages = APIRouter(tags=["notifications"])


class Reminder(BaseModel):
    id: str
    kind: str
    offset: str
    customer_id: str | None
    sale_id: str | None
    recipient: str
    channel: str
    due_at: str
    send_at: str
    status: str
    body: str


class Message(BaseModel):
    id: str
    recipient: str
    channel: str
    status: str
    body: str
    error: str | None
    at: str


@reminders.get("/v1/reminders", response_model=list[Reminder])
async def list_reminders(
    request: Request, page: Paging, who: Who, customer_id: Id | None = None, sale_id: Id | None = None
) -> Response:
    """Scheduled, sent and cancelled reminders in due order, filtered before the page is cut."""
    cid, sid = parse_uuid(customer_id, "customer_id", True), parse_uuid(sale_id, "sale_id", True)
    async with pool_of(request).acquire() as conn:
        rows = await use_cases.reminders_page(conn, who, cid, sid, after_time_and_id(page), page.fetch_size())
    return paged(request, page, rows, key_of=lambda item: item[0], render=lambda item: item[1])


@messages.get("/v1/notifications", response_model=list[Message])
async def list_notifications(request: Request, page: Paging, who: Who, recipient: Short | None = None) -> Response:
    """Messages sent, newest first."""
    async with pool_of(request).acquire() as conn:
        rows = await use_cases.notifications_page(conn, who, recipient, after_time_and_id(page), page.fetch_size())
    return paged(request, page, rows, key_of=lambda item: item[0], render=lambda item: item[1])


router.include_router(reminders)
router.include_router(messages)
