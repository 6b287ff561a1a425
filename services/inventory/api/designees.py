"""Designees (R23, R27): the people a project manager names to take and count deposits or to countersign
subscriptions, and the list of them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from services.inventory import use_cases
from services.inventory.api.common import require_project
from shared.http.auth import Who
from shared.http.fields import Code, Name, Reason
from shared.http.requests import pool_of

router = APIRouter(tags=["designees"])


class Designation(BaseModel):
    powers: Annotated[list[Code], Field(max_length=5)]
    reason: Reason


class Designee(BaseModel):
    project_id: str
    staff_id: str
    powers: list[str]
    reason: str
    named_by: str
    named_at: str


@router.put("/v1/projects/{project_id}/designees/{staff_id}", response_model=Designee)
async def name_designee(project_id: str, staff_id: Name, body: Designation, request: Request, who: Who) -> dict:
    """R23, R27: the manager names `staff_id` (any staff of the project) to `take_deposits` (take and count them, as
    finance does) and/or `countersign` (subscriptions, as the manager does); `powers: []` withdraws it. Every naming
    is kept with who, when and why; event `designee-named`."""
    who.require_role("manager")
    async with pool_of(request).acquire() as conn:
        project = await require_project(conn, project_id, who)
        return await use_cases.name_designee(conn, project["id"], staff_id, (body.powers, body.reason), who)


@router.get("/v1/projects/{project_id}/designees", response_model=list[Designee])
async def list_designees(project_id: str, request: Request, who: Who) -> list:
    """R23, R27: who the manager has named, and what each may do."""
    async with pool_of(request).acquire() as conn:
        project = await require_project(conn, project_id, who)
        return await use_cases.designees(conn, project["id"])
