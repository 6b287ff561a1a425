"""What the inventory routers share: the error mapping, the pool, and the project checks."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from pydantic import BaseModel

from services.inventory import store
from services.inventory.domain import DomainError
from services.inventory.use_cases import BadRows
from shared.auth import Principal
from shared.errors import ApiError, NotFound
from shared.web import parse_uuid

STATUS_OF = {"not_found": 404, "unknown_customer": 422, "unit_not_available": 409, "invalid_transition": 409,
             "unknown_quote": 422, "date_out_of_range": 422,
             "hold_not_live": 409, "price_below_filed": 422, "poa_not_notarized": 422, "project_code_taken": 409,
             "not_holder": 403, "id_copy_required": 422, "buyer_signature_required": 422}


def api_error(exc: DomainError) -> ApiError:
    """A domain refusal in the contract's words."""
    details = [p.as_json() for p in exc.problems] if isinstance(exc, BadRows) else None
    return ApiError(exc.code, str(exc), STATUS_OF.get(exc.code, 422), details=details)


def pool(request: Request):
    """The service's connection pool."""
    return request.app.state.runtime.pool


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


class UnitOut(BaseModel):
    """A unit as lists show it."""

    id: str
    project_id: str
    building: str
    number: str
    floor: int
    layout: str | None
    area_m2: str
    list_price: str
    status: str
    sale_id: str | None


def _unit_json(row) -> dict[str, Any]:
    return {"id": str(row["id"]), "project_id": str(row["project_id"]), "building": row["building"],
            "number": row["number"], "floor": row["floor"], "layout": row["layout"], "area_m2": str(row["area_m2"]),
            "list_price": str(row["list_price"]), "status": row["status"],
            "sale_id": str(row["sale_id"]) if row["sale_id"] else None}

