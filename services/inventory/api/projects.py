"""Projects, unit import and listing (and the price table, 价格表), and the conflicts a manager settles (the board:
`api/board.py`)."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.inventory import use_cases
from services.inventory.api.common import UnitOut, require_project, unit_json
from services.inventory.domain import UnitStatus, parse_unit_rows
from services.inventory.store import UnitFilter
from shared.http.api_errors import ApiError
from shared.http.auth import Who
from shared.http.exports import CSV, XLSX, download, export_type
from shared.http.fields import Code, Id, JsonObject, Label, Name, Word
from shared.http.paging import Page, Paging, after_text_and_id, paged
from shared.http.requests import in_pool, parse_uuid, pool_of

router = APIRouter(tags=["projects"])
units = APIRouter(tags=["units"])  # a project's units: imported and listed


class ProjectHead(BaseModel):
    """What every answer about a project names first (the project as created, as listed)."""

    id: str
    code: str
    name: str
    city: str | None


class NewProject(BaseModel):
    code: Word
    name: Name
    city: Label | None = None
    settings: JsonObject | None = None
    org_id: Id | None = None


class ProjectOut(ProjectHead):
    org_id: str | None = None
    settings: dict[str, Any]


class ProjectListed(ProjectHead):
    org_id: str | None
    time_zone: str | None


class ProjectPatch(BaseModel):
    name: Name | None = None
    org_id: Id | None = None
    settings: JsonObject | None = None


class ConflictOut(BaseModel):
    unit_id: str
    hold_id: str
    deposit_id: str | None
    customer_id: str
    noted_at: str


@router.post("/v1/projects", status_code=201, response_model=ProjectOut)
async def create_project(body: NewProject, request: Request, who: Who) -> dict:
    """A new project, in the org unit `org_id` (an admin anywhere, a group manager in their subtrees; 422
    `unknown_org`); its settings start from the unit's inherited template under its own; an unknown setting or one
    out of range → 422 `invalid_settings`."""
    who.require_role("admin", "group_manager")
    org = parse_uuid(body.org_id, "org_id", True)
    new = use_cases.NewProject(body.code, body.name, body.city, body.settings, org)
    return await in_pool(request, use_cases.create_project, new, who)


@router.get("/v1/projects", response_model=list[ProjectListed])
async def list_projects(request: Request, page: Paging, who: Who, org_id: Id | None = None) -> Response:
    """The projects the caller may see (a consultant: theirs; a group manager: those under their units); `org_id`
    keeps those in that unit's subtree."""
    under = parse_uuid(org_id, "org_id", True)
    async with pool_of(request).acquire() as conn:
        rows = await use_cases.projects_page(conn, who, under, (after_text_and_id(page), page.fetch_size()))
    return paged(request, page, rows, key_of=lambda p: (p["code"], p["id"]))


@router.patch("/v1/projects/{project_id}", response_model=ProjectOut)
async def change_project(project_id: str, body: ProjectPatch, request: Request, who: Who) -> dict:
    """From now on: the named settings (the others stay; 422 `invalid_settings` naming one out of range); an admin
    or a group manager over the project also its name and unit. Announced as `project-changed`; what was done
    before keeps its terms (a hold taken before keeps its expiry)."""
    who.require_role("manager", "group_manager")
    named = frozenset(body.model_fields_set)
    org = parse_uuid(body.org_id, "org_id", True)
    change = use_cases.ProjectChange(named, body.name, org, body.settings)
    return await in_pool(request, use_cases.change_project, parse_uuid(project_id, "project id"), change, who)


class Imported(BaseModel):
    created: int


_IMPORT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "properties": {
                            f: {"type": "string"}
                            for f in ("building", "number", "floor", "layout", "area_m2", "list_price", "floor_price")
                        },
                    },
                }
            },
            "text/csv": {
                "schema": {"type": "string", "description": "a header line naming the same fields, then rows"}
            },
        },
    }
}


@units.post("/v1/projects/{project_id}/units", status_code=201, response_model=Imported, openapi_extra=_IMPORT_BODY)
async def import_units(project_id: str, request: Request, who: Who) -> dict:
    """Bulk import, all or nothing; the project is checked before anything about the rows is said."""
    who.require_role("admin", "sales_control")
    async with pool_of(request).acquire() as conn:
        project = await require_project(conn, project_id, who)
        rows = _read_rows(await request.body(), request.headers.get("content-type", ""))
        units, problems = parse_unit_rows(rows)
        created = await use_cases.import_units(conn, project["id"], units, problems)
    return {"created": created}


def _read_rows(raw: bytes, content_type: str) -> list[dict[str, Any]]:
    if "csv" in content_type:
        try:
            rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ApiError("invalid_csv", f"unreadable CSV: {exc}", 422) from exc
        if not rows:  # garbage or a header alone: nothing to import is a mistake, not 201 {"created": 0}
            raise ApiError("invalid_units", "the CSV has no unit rows under its header", 422)
        return rows
    try:
        rows = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError("invalid_json", f"unreadable JSON: {exc}", 422) from exc
    if isinstance(rows, dict) and isinstance(rows.get("units"), list):
        rows = rows["units"]
    if not isinstance(rows, list) or not rows:
        raise ApiError("invalid_units", "send a non-empty JSON list of units (or text/csv)", 422)
    return rows


# Issue 24: the price table (价格表) is the same list as CSV or an Excel workbook, asked for with `Accept`.
_PRICE_TABLE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the units; with `Accept: text/csv` or the Excel type, the price table (价格表) of every unit "
        "the filters select: building, number, floor, layout, area_m2, list_price, status",
        "content": {CSV: {"schema": {"type": "string"}}, XLSX: {"schema": {"type": "string", "format": "binary"}}},
    }
}


@units.get("/v1/projects/{project_id}/units", response_model=list[UnitOut], responses=_PRICE_TABLE)
async def list_units(
    project_id: str, request: Request, page: Paging, who: Who, status: Code | None = None, building: Label | None = None
) -> Response:
    """Units in board order, filtered by status and building before the page is cut (contract "Lists"); with
    `Accept: text/csv` or the Excel type the price table (价格表) of every unit the filters select, not paged."""
    if status is not None and status not in {s.value for s in UnitStatus}:
        raise ApiError("invalid_status", f"status must be one of {', '.join(s.value for s in UnitStatus)}", 422)
    export = export_type(request.headers.get("accept"))
    async with pool_of(request).acquire() as conn:
        project = await require_project(conn, project_id, who)
        wanted, window = UnitFilter(status, building), (_unit_cursor(page), page.fetch_size())
        if export is not None:
            table, name = await use_cases.price_table(conn, project, wanted, export)
            return download(table, export, name)
        rows = await use_cases.units_page(conn, project["id"], wanted, window)
    return paged(
        request, page, list(rows), key_of=lambda r: (r["building"], r["floor"], r["number"], r["id"]), render=unit_json
    )


def _unit_cursor(page: Page) -> tuple[str, int, str, uuid.UUID] | None:
    if page.after is None:
        return None
    try:
        building, floor, number, unit_id = page.after
        return building, int(floor), number, uuid.UUID(unit_id)
    except ValueError:
        raise ApiError("invalid_cursor", "cursor is not one this API gave out", 422) from None


@router.get("/v1/projects/{project_id}/conflicts", response_model=list[ConflictOut])
async def list_conflicts(project_id: str, request: Request, page: Paging, who: Who) -> Response:
    """Deposits verified for units someone else had: each waits for a manager's refund (oldest first)."""
    who.require_role("manager", "sales_control", "admin")
    async with pool_of(request).acquire() as conn:
        project = await require_project(conn, project_id, who)
        rows = await use_cases.open_conflicts(conn, project["id"])
    items = [
        {
            "unit_id": str(r["unit_id"]),
            "hold_id": str(r["hold_id"]),
            "deposit_id": r["deposit_id"],
            "customer_id": str(r["customer_id"]),
            "noted_at": r["noted_at"].isoformat(),
        }
        for r in rows
    ]
    items.sort(key=lambda i: (i["noted_at"], i["deposit_id"] or ""))  # conflicts are few: paged in memory
    after = page.after or ("", "")
    items = [i for i in items if (i["noted_at"], i["deposit_id"] or "") > after]
    return paged(request, page, items[: page.fetch_size()], key_of=lambda i: (i["noted_at"], i["deposit_id"] or ""))
