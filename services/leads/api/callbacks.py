"""HTTP API of leads for call-backs (R7): planned by the owner, listed by due time, done with an outcome."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.leads import use_cases
from services.leads.api.common import vault_of
from services.leads.schemas import FollowupRecorded
from shared.http.auth import Who
from shared.http.fields import Id, Long, Short, Time
from shared.http.paging import Paging, after_time_and_id, paged
from shared.http.requests import in_pool, parse_uuid, pool_of, project_in_scope

router = APIRouter(tags=["callbacks"])


class NewCallback(BaseModel):
    due_at: Time
    purpose: Short


class CallbackPlanned(BaseModel):
    id: str
    due_at: str
    status: str


class Done(BaseModel):
    outcome: Long
    next_contact_at: Time


class CallbackDone(BaseModel):
    id: str
    status: str
    followup: FollowupRecorded


class CallbackOut(BaseModel):
    id: str
    customer_id: str
    consultant_id: str
    due_at: str
    status: str


@router.post("/v1/customers/{customer_id}/callbacks", status_code=201, response_model=CallbackPlanned)
async def plan_callback(customer_id: str, body: NewCallback, request: Request, who: Who) -> dict:
    """R7: the owner plans a call-back with its purpose; `due_at` in quiet hours → 422 `quiet_hours` (R15)."""
    who.require_role("consultant")
    cid = parse_uuid(customer_id, "customer id")
    return await in_pool(request, use_cases.plan_callback, vault_of(request), cid, (body.due_at, body.purpose), who)


@router.post("/v1/callbacks/{callback_id}/done", response_model=CallbackDone)
async def complete_callback(callback_id: str, body: Done, request: Request, who: Who) -> dict:
    """R7, R14: what was said, recorded as a follow-up with the next contact."""
    who.require_role("consultant")
    cid = parse_uuid(callback_id, "call-back id")
    return await in_pool(
        request, use_cases.callback_done, vault_of(request), cid, body.outcome, body.next_contact_at, who
    )


@router.get("/v1/callbacks", response_model=list[CallbackOut])
async def list_callbacks(
    project_id: Id, request: Request, who: Who, page: Paging, due: Literal["today", "overdue"] = "today"
) -> Response:
    """Scheduled call-backs due today (local day) or overdue: a consultant's own, all for the manager."""
    pid = project_in_scope(who, project_id, "consultant", "manager")
    async with pool_of(request).acquire() as conn:
        rows = await use_cases.callbacks_due(conn, pid, due, who, (after_time_and_id(page), page.fetch_size()))
    return paged(request, page, rows, key_of=lambda c: (c["due_at"], c["id"]))
