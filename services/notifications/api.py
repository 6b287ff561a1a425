"""HTTP API of notifications: reminders and messages, limited to the caller's projects and, for a consultant,
to their own customers (R8)."""

from __future__ import annotations

import uuid
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.notifications import store
from shared import ownership
from shared.auth import Principal, current_principal
from shared.errors import NotFound
from shared.fields import Id, Short
from shared.paging import Page, after_time_and_id, page_params, paged
from shared.web import parse_uuid

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


def _projects(who: Principal) -> list[uuid.UUID] | None:
    """None: every project (admin); otherwise the projects in the token."""
    if who.role == "admin":
        return None
    return [uuid.UUID(p) for p in who.projects if _is_uuid(p)]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


def _consultant(who: Principal) -> str | None:
    """The consultant whose view is narrowed to their own customers; None for staff who see the project."""
    return None if who.role in ownership.WHOLE_PROJECT_ROLES else who.sub


async def _check_customer(conn, who: Principal, customer_id: uuid.UUID | None) -> None:
    """Asked for one customer: another project's, or (for a consultant) a colleague's, is not found."""
    if customer_id is None:
        return
    project = await store.customer_project(conn, customer_id)
    if project is not None and not who.works_on(str(project)):
        raise NotFound("not_found", "no such customer")
    await ownership.require_own_customer(conn, who, customer_id)


@router.get("/v1/reminders", response_model=list[Reminder])
async def reminders(request: Request, customer_id: Id | None = None, sale_id: Id | None = None,
                    page: Page = Depends(page_params), who: Principal = Depends(current_principal)) -> Response:
    """Scheduled, sent and cancelled reminders in due order, filtered before the page is cut."""
    cid, sid = parse_uuid(customer_id, "customer_id", True), parse_uuid(sale_id, "sale_id", True)
    async with request.app.state.runtime.pool.acquire() as conn:
        await _check_customer(conn, who, cid)
        rows = await store.reminders_page(conn, _projects(who), cid, sid, _consultant(who), after_time_and_id(page),
                                          page.fetch_size())
    return paged(request, page, list(rows), key_of=lambda r: (r["due_at"].isoformat(), r["id"]),
                 render=store.reminder_json)


@router.get("/v1/notifications", response_model=list[Message])
async def notifications(request: Request, recipient: Short | None = None, page: Page = Depends(page_params),
                        who: Principal = Depends(current_principal)) -> Response:
    """Messages sent, newest first."""
    async with request.app.state.runtime.pool.acquire() as conn:
        rows = await store.notifications_page(conn, _projects(who), recipient, _consultant(who), after_time_and_id(page),
                                              page.fetch_size())
    return paged(request, page, list(rows), key_of=lambda r: (r["at"].isoformat(), r["id"]), render=_message)


def _message(row) -> dict:
    return {"id": str(row["id"]), "recipient": row["recipient"], "channel": row["channel"], "status": row["status"],
            "body": row["body"], "error": row["error"], "at": row["at"].isoformat()}
