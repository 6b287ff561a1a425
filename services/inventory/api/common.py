"""What the inventory routers share: the error mapping and the project checks (the pool: `shared.web.pool_of`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from services.inventory import use_cases
from shared.http.requests import by_path_id

project_of_unit = by_path_id(use_cases.unit_in_reach, "unit id")


require_project = by_path_id(use_cases.project_in_reach, "project id")


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


def unit_json(row) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "project_id": str(row["project_id"]),
        "building": row["building"],
        "number": row["number"],
        "floor": row["floor"],
        "layout": row["layout"],
        "area_m2": str(row["area_m2"]),
        "list_price": str(row["list_price"]),
        "status": row["status"],
        "sale_id": str(row["sale_id"]) if row["sale_id"] else None,
    }
