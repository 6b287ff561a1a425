"""HTTP API of inventory (sales control): pydantic in, use case, pydantic out."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from services.inventory import store, use_cases
from services.inventory.domain import DomainError, QuoteRequest, UnitStatus, money, parse_settings, parse_unit_rows
from services.inventory.use_cases import BadRows, HoldUnit
from shared.auth import Principal, current_principal
from shared.errors import ApiError, NotFound
from shared.web import parse_uuid

router = APIRouter()
STATUS_OF = {"not_found": 404, "unknown_customer": 422, "unit_not_available": 409, "invalid_transition": 409,
             "hold_not_live": 409, "price_below_filed": 422, "poa_not_notarized": 422, "project_code_taken": 409,
             "not_holder": 403}


def api_error(exc: DomainError) -> ApiError:
    """A domain refusal in the contract's words."""
    details = [p.as_json() for p in exc.problems] if isinstance(exc, BadRows) else None
    return ApiError(exc.code, str(exc), STATUS_OF.get(exc.code, 422), details=details)


def pool(request: Request):
    return request.app.state.runtime.pool


class NewProject(BaseModel):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    city: str | None = None
    settings: dict[str, Any] | None = None


@router.post("/v1/projects", status_code=201)
async def create_project(body: NewProject, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("admin")
    try:
        settings = parse_settings(body.settings)
        async with pool(request).acquire() as conn:
            return await use_cases.create_project(conn, body.code, body.name, body.city, settings)
    except DomainError as exc:
        raise api_error(exc) from exc


async def _project_of_unit(conn, unit_id: str, who: Principal):
    row = await store.unit(conn, parse_uuid(unit_id, "unit id"))
    if row is None:
        raise NotFound("not_found", "no such unit")
    who.require_project(str(row["project_id"]))
    return row


async def _require_project(conn, project_id: str, who: Principal):
    pid = parse_uuid(project_id, "project id")
    who.require_project(str(pid))
    row = await store.project(conn, pid)
    if row is None:
        raise NotFound("not_found", "no such project")
    return row


@router.post("/v1/projects/{project_id}/units", status_code=201)
async def import_units(project_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("admin", "sales_control")
    raw = await request.body()
    try:
        rows = _read_rows(raw, request.headers.get("content-type", ""))
        units, problems = parse_unit_rows(rows)
        async with pool(request).acquire() as conn:
            project = await _require_project(conn, project_id, who)
            created = await use_cases.import_units(conn, project["id"], units, problems)
    except DomainError as exc:
        raise api_error(exc) from exc
    return {"created": created}


def _read_rows(raw: bytes, content_type: str) -> list[dict[str, Any]]:
    if "csv" in content_type:
        try:
            return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise ApiError("invalid_csv", f"unreadable CSV: {exc}", 400) from exc
    try:
        rows = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError("invalid_json", f"unreadable JSON: {exc}", 400) from exc
    if isinstance(rows, dict) and isinstance(rows.get("units"), list):
        rows = rows["units"]
    if not isinstance(rows, list) or not rows:
        raise ApiError("invalid_units", "send a non-empty JSON list of units (or text/csv)", 422)
    return rows


def _unit_json(row) -> dict[str, Any]:
    return {"id": str(row["id"]), "project_id": str(row["project_id"]), "building": row["building"],
            "number": row["number"], "floor": row["floor"], "layout": row["layout"], "area_m2": str(row["area_m2"]),
            "list_price": str(row["list_price"]), "status": row["status"],
            "sale_id": str(row["sale_id"]) if row["sale_id"] else None}


@router.get("/v1/projects/{project_id}/units")
async def list_units(project_id: str, request: Request, status: str | None = None, building: str | None = None,
                     who: Principal = Depends(current_principal)) -> list[dict]:
    if status is not None and status not in {s.value for s in UnitStatus}:
        raise ApiError("invalid_status", f"status must be one of {', '.join(s.value for s in UnitStatus)}", 422)
    async with pool(request).acquire() as conn:
        project = await _require_project(conn, project_id, who)
        rows = await store.list_units(conn, project["id"], status, building)
    return [_unit_json(r) for r in rows]


@router.get("/v1/units/{unit_id}")
async def get_unit(unit_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    async with pool(request).acquire() as conn:
        row = await _project_of_unit(conn, unit_id, who)
        hold = await store.hold(conn, row["hold_id"]) if row["hold_id"] and row["status"] == "held" else None
        sale = await store.sale(conn, row["sale_id"]) if row["sale_id"] else None
    body = _unit_json(row)
    body["floor_price"] = str(row["floor_price"])
    body["hold"] = {"hold_id": str(hold["id"]), "customer_id": str(hold["customer_id"]),
                    "consultant_id": hold["consultant_id"], "expires_at": hold["expires_at"].isoformat()} if hold else None
    body["sale"] = {"sale_id": str(sale["id"]), "status": sale["status"], "customer_id": str(sale["customer_id"]),
                    "price": str(sale["price"])} if sale else None
    return body


class NewHold(BaseModel):
    customer_id: str


@router.post("/v1/units/{unit_id}/holds", status_code=201)
async def hold_unit(unit_id: str, body: NewHold, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("consultant", "sales_control")
    uid = parse_uuid(unit_id, "unit id")
    try:
        customer = uuid.UUID(body.customer_id)
    except ValueError:
        raise ApiError("unknown_customer", "the customer is not registered in this project", 422) from None
    async with pool(request).acquire() as conn:
        try:
            hold = await use_cases.hold_unit(conn, HoldUnit(uid, customer, who.sub), who.require_project)
        except DomainError as exc:
            raise api_error(exc) from exc
    return {k: hold[k] for k in ("hold_id", "unit_id", "customer_id", "consultant_id", "expires_at")}


@router.delete("/v1/units/{unit_id}/holds/{hold_id}")
async def release_hold(unit_id: str, hold_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("consultant", "manager", "sales_control")
    async with pool(request).acquire() as conn:
        await _project_of_unit(conn, unit_id, who)
        try:
            await use_cases.release_hold(conn, uuid.UUID(unit_id), parse_uuid(hold_id, "hold id"), who.sub,
                                         may_release_any=who.role in ("manager", "sales_control", "admin"))
        except DomainError as exc:
            raise api_error(exc) from exc
    return {"hold_id": hold_id, "released": True}


class QuoteBody(BaseModel):
    discount_amount: Decimal = Decimal("0")
    discount_percent: Decimal = Decimal("0")
    first_home: bool = True
    down_payment_ratio: Decimal = Decimal("0.30")
    years: int = 30
    annual_rate: Decimal = Decimal("0.0310")
    instalments: int = 3


@router.post("/v1/units/{unit_id}/quote")
async def quote(unit_id: str, body: QuoteBody, request: Request, who: Principal = Depends(current_principal)) -> dict:
    async with pool(request).acquire() as conn:
        row = await _project_of_unit(conn, unit_id, who)
        settings = store.project_settings(await store.project(conn, row["project_id"]))
    try:
        return use_cases.quote_unit(row, settings, QuoteRequest(**body.model_dump()))
    except DomainError as exc:
        raise api_error(exc) from exc


class DownPayment(BaseModel):
    amount: Decimal = Field(gt=0)
    due_date: date


class Subscription(BaseModel):
    buyer_signed: bool
    down_payment: DownPayment


class Contract(BaseModel):
    contract_no: str = Field(min_length=1, max_length=80)
    signatory: Literal["buyer", "attorney"]
    poa_notarized: bool = False
    id_copy_kept: bool


class Handover(BaseModel):
    handed_over_at: datetime


async def _sale_project(conn, sale_id: str, who: Principal) -> uuid.UUID:
    sid = parse_uuid(sale_id, "sale id")
    row = await store.sale(conn, sid)
    if row is None:
        raise NotFound("not_found", "no such sale")
    who.require_project(str(row["project_id"]))
    return sid


@router.post("/v1/sales/{sale_id}/subscription")
async def subscription(sale_id: str, body: Subscription, request: Request,
                       who: Principal = Depends(current_principal)) -> dict:
    who.require_role("manager")
    if not body.buyer_signed:
        raise ApiError("buyer_signature_required", "the buyer signs the subscription in person (R27)", 422)
    async with pool(request).acquire() as conn:
        sid = await _sale_project(conn, sale_id, who)
        try:
            return await use_cases.sign_subscription(conn, sid, money(body.down_payment.amount),
                                                     body.down_payment.due_date.isoformat(), who.sub)
        except DomainError as exc:
            raise api_error(exc) from exc


@router.post("/v1/sales/{sale_id}/contract")
async def contract(sale_id: str, body: Contract, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("manager")
    if not body.id_copy_kept:
        raise ApiError("id_copy_required", "a copy of the signatory's ID is kept (R29)", 422)
    async with pool(request).acquire() as conn:
        sid = await _sale_project(conn, sale_id, who)
        try:
            return await use_cases.sign_contract(conn, sid, body.contract_no, body.signatory, body.poa_notarized, who.sub)
        except DomainError as exc:
            raise api_error(exc) from exc


@router.post("/v1/sales/{sale_id}/handover")
async def handover(sale_id: str, body: Handover, request: Request, who: Principal = Depends(current_principal)) -> dict:
    who.require_role("manager", "service")
    if body.handed_over_at.tzinfo is None:
        raise ApiError("invalid_request", "handed_over_at needs a time zone offset", 422)
    async with pool(request).acquire() as conn:
        sid = await _sale_project(conn, sale_id, who)
        try:
            return await use_cases.complete_handover(conn, sid, body.handed_over_at, who.sub)
        except DomainError as exc:
            raise api_error(exc) from exc


@router.get("/v1/projects/{project_id}/board")
async def board(project_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    async with pool(request).acquire() as conn:
        project = await _require_project(conn, project_id, who)
        rows = await store.list_units(conn, project["id"], None, None)
    buildings: dict[str, dict[int, list]] = {}
    for row in rows:
        buildings.setdefault(row["building"], {}).setdefault(row["floor"], []).append(
            {"id": str(row["id"]), "number": row["number"], "layout": row["layout"], "status": row["status"],
             "list_price": str(row["list_price"])})
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return {"project": {"id": str(project["id"]), "code": project["code"], "name": project["name"]},
            "counts": counts,
            "buildings": [{"building": b, "floors": [{"floor": f, "units": units}
                                                       for f, units in sorted(floors.items(), reverse=True)]}
                          for b, floors in sorted(buildings.items())]}


@router.get("/board", include_in_schema=False)
async def board_page() -> HTMLResponse:
    return HTMLResponse((Path(__file__).parent / "board.html").read_text(encoding="utf-8"))
