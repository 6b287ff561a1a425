"""HTTP API of leads for the day's visitor register (来访登记, R5): everyone who came in on a local day, customers
and key visitors, masked (R18). An addition of ours beyond the v1 routes. Pydantic in, a use case, pydantic out."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.leads import use_cases
from services.leads.api.common import vault_of
from services.leads.use_cases import RegisterQuery
from shared.http.auth import Who
from shared.http.fields import Code
from shared.http.paging import Paging, after_time_and_id, paged
from shared.http.requests import pool_of, project_in_scope

router = APIRouter(tags=["visitors"])


class Visitor(BaseModel):
    """One line of the register: registered that day, or a customer registered earlier who came in (a visit)."""

    customer_id: str
    visitor_type: str  # customer, or a key visitor's type (developer_staff, competitor_peer: R5)
    key_visitor: bool
    name_masked: str
    phone_masked: str | None
    consultant_id: str  # the owner: the consultant who registered them, or who has them now (R9)
    first_seen_at: str
    kind: Literal["registered", "returned"]


@router.get("/v1/projects/{project_id}/visitors", response_model=list[Visitor])
async def list_visitors(project_id: str, request: Request, who: Who, page: Paging, day: Code | None = None) -> Response:
    """R5, R8, R18: the register of `day` (YYYY-MM-DD; today in the project's time zone by default; 422
    `invalid_day`), oldest first: manager and sales control see everyone, a consultant the key visitors and their
    own customers; names and phones masked."""
    pid = project_in_scope(who, project_id, "consultant", "manager", "sales_control")
    query = RegisterQuery(pid, day, who, after_time_and_id(page), page.fetch_size())
    async with pool_of(request).acquire() as conn:
        items = await use_cases.day_register(conn, vault_of(request), query)
    return paged(request, page, items, key_of=lambda i: (i["first_seen_at"], i["customer_id"]))
