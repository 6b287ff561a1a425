"""HTTP API of leads for the phone: the call log (R1, R3) and the day's call figures (R2)."""

from __future__ import annotations

from fastapi import APIRouter, Request

from services.leads import use_cases
from services.leads.api.common import vault_of
from services.leads.schemas import Call, CallLogged, CallStats
from services.leads.use_cases import LogCall
from shared.http.auth import Who
from shared.http.fields import Day
from shared.http.requests import in_pool, parse_uuid, project_in_scope

router = APIRouter(tags=["calls"])


@router.post("/v1/calls", status_code=201, response_model=CallLogged)
async def log_call(body: Call, request: Request, who: Who) -> dict:
    """R1, R3: the call log; a caller who leaves name and number is registered to this consultant. R14: a call with
    this consultant's customer may carry the agreed `next_contact_at` (out of quiet hours)."""
    who.require_role("consultant")
    pid = parse_uuid(body.project_id, "project_id")
    who.require_project(str(pid))
    given = {"project_id": pid, "consultant_id": who.sub, "caller_phone": body.caller_phone or None}
    cmd = LogCall(**(body.model_dump() | given))
    return await in_pool(request, use_cases.log_call, vault_of(request), cmd)


@router.get("/v1/projects/{project_id}/calls/stats", response_model=CallStats)
async def get_call_stats(project_id: str, request: Request, who: Who, date: Day | None = None) -> dict:
    """R2: a day's inbound calls (the project's local day, today by default) per project and consultant."""
    pid = project_in_scope(who, project_id, "manager", "consultant")
    return await in_pool(request, use_cases.call_stats, pid, date)
