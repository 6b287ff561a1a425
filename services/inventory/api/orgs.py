"""HTTP API of the group (集团, v1.2): org units and their settings templates. Pydantic in, one use case, pydantic
out."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.inventory.use_cases import orgs as use_cases
from shared.http.auth import Who
from shared.http.fields import Id, JsonObject, Name, Word
from shared.http.paging import Paging, after_text_and_id, paged
from shared.http.requests import in_pool, parse_uuid, pool_of

router = APIRouter(tags=["orgs"])


class NewOrg(BaseModel):
    code: Word
    name: Name
    parent_id: Id | None = None


class OrgOut(BaseModel):
    id: str
    code: str
    name: str
    parent_id: str | None
    path: str


class Template(BaseModel):
    settings: JsonObject


class TemplateOut(BaseModel):
    org_id: str
    settings: dict[str, Any]


@router.post("/v1/orgs", status_code=201, response_model=OrgOut)
async def create_org(body: NewOrg, request: Request, who: Who) -> dict:
    """An org unit of a group (集团 → 区域 → 城市公司): under `parent_id` (422 `unknown_org` when there is none), or a
    group's root without one; a code used twice under one parent → 409 `org_exists`."""
    who.require_role("admin")
    parent = parse_uuid(body.parent_id, "parent_id", True)
    return await in_pool(request, use_cases.create_org, body.code, body.name, parent)


@router.get("/v1/orgs", response_model=list[OrgOut])
async def list_orgs(request: Request, who: Who, page: Paging) -> Response:
    """Exactly the units the caller may see (a group manager: their units' subtrees), a parent before its
    children."""
    who.require_role("group_manager")
    async with pool_of(request).acquire() as conn:
        rows = await use_cases.orgs_page(conn, who, (after_text_and_id(page), page.fetch_size()))
    return paged(request, page, rows, key_of=lambda org: (org["path"], org["id"]))


@router.put("/v1/orgs/{org_id}/settings-template", response_model=TemplateOut)
async def set_settings_template(org_id: str, body: Template, request: Request, who: Who) -> dict:
    """The settings a new project of this subtree starts with (the nearest unit's template wins, the project's own
    settings over it); validated like a project's (422 `invalid_settings` naming the setting)."""
    who.require_role("group_manager")
    return await in_pool(request, use_cases.set_template, parse_uuid(org_id, "org id"), body.settings, who)
