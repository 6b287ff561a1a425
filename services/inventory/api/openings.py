"""Issue 11, the opening (开盘): create one, entrants join, the lottery (摇号), and the opening as staff see it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, Field

from services.inventory.api.common import _require_project, pool
from services.inventory.domain.openings import BATCH_SIZE, MAX_ENTRANTS, UNITS_PER_BUYER, WINDOW_MINUTES
from services.inventory.use_cases import openings as use_cases
from shared.auth import Principal, current_principal
from shared.fields import Id, Time
from shared.web import by_path_id

router = APIRouter()
_opening = by_path_id(use_cases.opening_in_reach, "opening id")


class NewOpening(BaseModel):
    starts_at: Time
    window_minutes: int = Field(ge=WINDOW_MINUTES[0], le=WINDOW_MINUTES[1])
    batch_size: int = Field(ge=BATCH_SIZE[0], le=BATCH_SIZE[1])
    units_per_buyer: int = Field(ge=UNITS_PER_BUYER[0], le=UNITS_PER_BUYER[1])


class NewEntrants(BaseModel):
    customer_ids: list[Id] = Field(min_length=1, max_length=MAX_ENTRANTS)


class Draw(BaseModel):
    """`seed`: 1–128 printable ASCII characters, published as given; none: 32 random hex digits."""

    seed: Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")] | None = None


class QueuePlace(BaseModel):
    queue_no: int
    customer_id: str
    window_starts_at: str
    window_ends_at: str


class OpeningOut(BaseModel):
    """status: registering → drawn → live (a batch window spans now) → closed. `sold` and `held` count the
    project's units now: held, and sold (reserved, subscribed, contracted or handed over)."""

    id: str
    project_id: str
    status: str
    starts_at: str
    window_minutes: int
    batch_size: int
    units_per_buyer: int
    seed: str | None
    entrants: int
    order: list[QueuePlace]
    current_batch: int | None
    sold: int
    held: int


class EntrantsOut(BaseModel):
    opening_id: str
    added: int
    entrants: int


@router.post("/v1/projects/{project_id}/openings", status_code=201, response_model=OpeningOut)
async def create_opening(
    project_id: str, body: NewOpening, request: Request, who: Principal = Depends(current_principal)
) -> dict:
    """Issue 11 (开盘): an opening of the project; customers join until it is drawn."""
    who.require_role("sales_control", "manager")
    new = use_cases.NewOpening(body.starts_at, body.window_minutes, body.batch_size, body.units_per_buyer)
    async with pool(request).acquire() as conn:
        project = await _require_project(conn, project_id, who)
        return await use_cases.create_opening(conn, project["id"], new, who.sub)


@router.post("/v1/openings/{opening_id}/entrants", response_model=EntrantsOut)
async def add_entrants(
    opening_id: str, body: NewEntrants, request: Request, who: Principal = Depends(current_principal)
) -> dict:
    """Registered customers of the project join (all or none: an unknown one → 422 `unknown_customer`)."""
    who.require_role("sales_control")
    async with pool(request).acquire() as conn:
        row = await _opening(conn, opening_id, who)
        return await use_cases.add_entrants(conn, row, body.customer_ids, who.sub)


@router.post("/v1/openings/{opening_id}/draw", response_model=OpeningOut)
async def draw(
    opening_id: str,
    request: Request,
    body: Annotated[Draw | None, Body()] = None,
    who: Principal = Depends(current_principal),
) -> dict:
    """The lottery (摇号): queue numbers from the published seed; event `opening-drawn`; drawn once."""
    who.require_role("sales_control", "manager")
    async with pool(request).acquire() as conn:
        row = await _opening(conn, opening_id, who)
        return await use_cases.draw(conn, row, body.seed if body else None, who.sub)


@router.get("/v1/openings/{opening_id}", response_model=OpeningOut)
async def get_opening(opening_id: str, request: Request, who: Principal = Depends(current_principal)) -> dict:
    """The opening, its order with each queue number's window, the open batch, the units held and sold."""
    async with pool(request).acquire() as conn:
        return await use_cases.opening_view(conn, await _opening(conn, opening_id, who))
