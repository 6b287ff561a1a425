"""Prices (issue 24): adjustments (调价) by list or by percent, and their history."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from services.inventory import use_cases
from services.inventory.api.common import require_project
from services.inventory.domain.prices import Adjustment
from shared.http.api_errors import ApiError
from shared.http.auth import Who
from shared.http.fields import Id, Label, Reason
from shared.http.paging import Paging, after_time_and_id, paged
from shared.http.requests import parse_uuid, pool_of
from shared.kernel.money import Money

router = APIRouter(tags=["prices"])

Percent = Annotated[str, Field(pattern=r"^-?[0-9]{1,3}(\.[0-9]{1,4})?$", examples=["3", "-5", "2.5"])]


class NewUnitPrice(BaseModel):
    unit_id: Id
    list_price: Money


class NewAdjustment(BaseModel):
    reason: Reason
    units: Annotated[list[NewUnitPrice], Field(min_length=1, max_length=5000)] | None = None
    building: Label | None = None
    percent: Percent | None = None

    def adjustment(self) -> Adjustment:
        """The adjustment as the use case takes it: unit ids parsed (422 naming the field), the percent a Decimal;
        a unit listed twice → 422."""
        prices = None
        if self.units is not None:
            prices = {parse_uuid(u.unit_id, "unit_id"): u.list_price for u in self.units}
            if len(prices) != len(self.units):
                raise ApiError("duplicate_unit", "a unit is listed twice", 422)
        percent = Decimal(self.percent) if self.percent is not None else None
        return Adjustment(self.reason, prices, percent, self.building)


class Adjusted(BaseModel):
    id: str
    changed: list[str]
    skipped: list[str]


@router.post("/v1/projects/{project_id}/price-adjustments", status_code=201, response_model=Adjusted)
async def adjust_prices(project_id: str, body: NewAdjustment, request: Request, who: Who) -> dict:
    """调价: `{reason, units: [{unit_id, list_price}]}` or `{reason, building?, percent}` (`"3"` raises by 3 %, `"-5"`
    lowers; half up to the fen). Units held or sold keep their price (`skipped`); a new price under a unit's filed
    floor → 422 `price_below_filed` naming every such unit, nothing changed; one `prices-changed` per changed unit."""
    who.require_role("sales_control", "manager")
    async with pool_of(request).acquire() as conn:
        project = await require_project(conn, project_id, who)
        return await use_cases.adjust_prices(conn, project["id"], body.adjustment(), who.sub)


class PriceChange(BaseModel):
    unit_id: str
    building: str
    number: str
    old_price: str
    new_price: str


class AdjustmentOut(BaseModel):
    id: str
    made_by: str
    made_at: str
    reason: str
    building: str | None
    percent: str | None
    changes: list[PriceChange]
    skipped: list[str]


@router.get("/v1/projects/{project_id}/price-adjustments", response_model=list[AdjustmentOut])
async def list_price_adjustments(project_id: str, request: Request, page: Paging, who: Who) -> Response:
    """Every adjustment of the project, oldest first: who, when, why, each unit's old and new price (R35)."""
    async with pool_of(request).acquire() as conn:
        project = await require_project(conn, project_id, who)
        rows = await use_cases.adjustments_page(conn, project["id"], (after_time_and_id(page), page.fetch_size()))
    return paged(request, page, rows, key_of=lambda a: (a["made_at"], a["id"]))
