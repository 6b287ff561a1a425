"""HTTP API of notifications: reminders and messages, limited to the caller's projects and, for a consultant,
to their own customers (R8)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.notifications import use_cases
from shared.http.auth import Principal, current_principal
from shared.http.fields import Id, Short
from shared.http.paging import Page, after_time_and_id, page_params, paged
from shared.http.requests import parse_uuid

router = APIRouter()


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


@router.get("/v1/reminders", response_model=list[Reminder])
async def reminders(
    request: Request,
    customer_id: Id | None = None,
    sale_id: Id | None = None,
    page: Page = Depends(page_params),
    who: Principal = Depends(current_principal),
) -> Response:
    """Scheduled, sent and cancelled reminders in due order, filtered before the page is cut."""
    cid, sid = parse_uuid(customer_id, "customer_id", True), parse_uuid(sale_id, "sale_id", True)
    async with request.app.state.runtime.pool.acquire() as conn:
        rows = await use_cases.reminders_page(conn, who, cid, sid, after_time_and_id(page), page.fetch_size())
    return paged(
        request, page, rows, key_of=lambda r: (r["due_at"].isoformat(), r["id"]), render=use_cases.reminder_json
    )


@router.get("/v1/notifications", response_model=list[Message])
async def notifications(
    request: Request,
    recipient: Short | None = None,
    page: Page = Depends(page_params),
    who: Principal = Depends(current_principal),
) -> Response:
    """Messages sent, newest first."""
    async with request.app.state.runtime.pool.acquire() as conn:
        rows = await use_cases.notifications_page(conn, who, recipient, after_time_and_id(page), page.fetch_size())
    return paged(request, page, rows, key_of=lambda r: (r["at"].isoformat(), r["id"]), render=_message)


def _message(row) -> dict:
    return {
        "id": str(row["id"]),
        "recipient": row["recipient"],
        "channel": row["channel"],
        "status": row["status"],
        "body": row["body"],
        "error": row["error"],
        "at": row["at"].isoformat(),
    }
