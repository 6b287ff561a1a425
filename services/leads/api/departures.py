"""HTTP API of leads for a consultant who leaves a project (离职/调岗 交接, v1.2): the manager (or a group manager over
the project) hands the consultant's customers on. Pydantic in, one use case, pydantic out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel

from services.leads import use_cases
from shared.http.auth import Who
from shared.http.fields import Name, Reason
from shared.http.requests import in_pool, project_in_scope

router = APIRouter(tags=["departures"])
StaffId = Annotated[str, Path(min_length=1, max_length=200)]


class DepartureOrder(BaseModel):
    """Who takes the book (none named: the project's recently active consultants in turn), and why."""

    to_consultant_id: Name | None = None
    reason: Reason


class DepartureDone(BaseModel):
    moved: int  # customers that changed hands by this call (0 on a second call)
    to: dict[str, int]  # consultant id → how many of them they received


@router.post("/v1/projects/{project_id}/staff/{staff_id}/departure", response_model=DepartureDone)
async def hand_on_book(project_id: str, staff_id: StaffId, body: DepartureOrder, request: Request, who: Who) -> dict:
    """A consultant leaves the project: every customer they own there moves, with their scheduled call-backs, to
    `to_consultant_id` or in turn to the consultants active there in the last 30 days (none: 409 `no_successor`;
    the leaver named as heir: 422 `invalid_successor`); one `ownership-changed` (reason `handover`) per customer.
    A second call moves nothing more."""
    pid = project_in_scope(who, project_id, "manager")
    order = use_cases.Departure(pid, staff_id, body.reason, body.to_consultant_id)
    return await in_pool(request, use_cases.hand_on_book, order, who)
