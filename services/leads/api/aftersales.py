"""HTTP API of leads for after-sales (R31, R33): the return visits due after handover, recorded once by the
`service` staff or the manager."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.leads import use_cases
from services.leads.api.common import vault_of
from shared.http.auth import Who
from shared.http.fields import Id, Long
from shared.http.paging import Paging, after_time_and_id, paged
from shared.http.requests import in_pool, parse_uuid, pool_of, project_in_scope

router = APIRouter(tags=["aftersales"])
AFTERSALES_ROLES = ("service", "manager")


class VisitRecord(BaseModel):
    outcome: Long
    notes: Long | None = None


class ReturnVisit(BaseModel):
    id: str
    project_id: str
    customer_id: str
    sale_id: str
    unit_id: str
    handed_over_at: str
    due_at: str
    status: str
    done_by: str | None
    done_at: str | None
    name: str | None = None
    phone: str | None = None
    outcome: str | None = None
    notes: str | None = None


@router.get("/v1/aftersales/visits", response_model=list[ReturnVisit])
async def list_return_visits(
    project_id: Id, request: Request, who: Who, page: Paging, due: Literal["today", "overdue", "all"] = "all"
) -> Response:
    """R33: return visits by due time — due today (the project's local day), overdue, or all (done ones too)."""
    pid = project_in_scope(who, project_id, *AFTERSALES_ROLES)
    async with pool_of(request).acquire() as conn:
        window = (after_time_and_id(page), page.fetch_size())
        rows = await use_cases.return_visits(conn, vault_of(request), pid, due, window)
    return paged(request, page, rows, key_of=lambda v: (v["due_at"], v["id"]))


@router.post("/v1/aftersales/visits/{visit_id}", response_model=ReturnVisit)
async def record_return_visit(visit_id: str, body: VisitRecord, request: Request, who: Who) -> dict:
    """R33: what the owner said at the return visit; a second record → 409 `visit_recorded`."""
    who.require_role(*AFTERSALES_ROLES)
    vid = parse_uuid(visit_id, "visit id")
    return await in_pool(request, use_cases.record_visit, vault_of(request), vid, (body.outcome, body.notes), who)
