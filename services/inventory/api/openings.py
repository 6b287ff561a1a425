"""Issue 11, the opening (开盘): create one, entrants join, the lottery (摇号), and the opening as staff (and, issue
25, a notary of its project) see it. A fair opening's own steps (close of entry, commitments, reveals):
`fair_openings`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer

from services.inventory.api.common import require_project
from services.inventory.domain.openings import BATCH_SIZE, MAX_ENTRANTS, UNITS_PER_BUYER, WINDOW_MINUTES
from services.inventory.use_cases import opening_gate as gate
from services.inventory.use_cases import openings as use_cases
from shared.http.auth import Principal, Who, current_principal
from shared.http.fields import Id, Reason, Time
from shared.http.requests import by_path_id, found_in_pool, parse_uuid, pool_of

router = APIRouter(tags=["openings"])
_opening = by_path_id(use_cases.opening_in_reach, "opening id")


async def opening_for(conn: Any, opening_id: str, who: Principal, *roles: str) -> Any:
    """The opening a route names, for `roles` (none: anyone of its project the route lets in — staff, and on a fair
    opening's routes a notary, issue 25): 403 for another role or project, 404 none."""
    if roles:
        who.require_role(*roles)
    return await use_cases.opening_in_reach(conn, parse_uuid(opening_id, "opening id"), who.require_project)


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


class KeepOut(BaseModel):
    """Issue 19: a unit of the project kept out of the opening (保留房源), and why."""

    unit_id: Id
    reason: Reason


class KeptOut(BaseModel):
    unit_id: str
    building: str
    number: str
    reason: str
    kept_by: str
    kept_at: str


class PartyShown(BaseModel):
    """Issue 25: a committed party; `secret` only once revealed (absent before)."""

    party: str
    commitment: str
    notary: bool
    committed_at: str
    revealed_at: str | None
    secret: str | None = None

    @model_serializer(mode="wrap")
    def _secret_once_revealed(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        shown: dict[str, Any] = handler(self)
        if shown.get("secret") is None:
            shown.pop("secret", None)
        return shown


class OpeningOut(BaseModel):
    """status: registering → drawn → live (a batch window spans now) → closed; issue 25: an opening whose entry is
    closed before the draw is `entry_closed`, and `lapsed` (never drawn) when it starts undrawn. `sold` and `held`
    count the project's units now: held, and sold (reserved, subscribed, contracted or handed over). `kept_out`: the
    units sales control kept out of the opening; `went_live_at`: when its holds outside the order were released
    (issue 19). `entrants_digest`, `entry_closed_at`, `commitments` (by party name), `lapsed_at`: issue 25."""

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
    kept_out: list[KeptOut]
    went_live_at: str | None
    entrants_digest: str | None
    entry_closed_at: str | None
    commitments: list[PartyShown]
    lapsed_at: str | None


class EntrantsOut(BaseModel):
    opening_id: str
    added: int
    entrants: int


@router.post("/v1/projects/{project_id}/openings", status_code=201, response_model=OpeningOut)
async def create_opening(project_id: str, body: NewOpening, request: Request, who: Who) -> dict:
    """Issue 11 (开盘): an opening of the project; customers join until it is drawn."""
    who.require_role("sales_control", "manager")
    new = use_cases.NewOpening(body.starts_at, body.window_minutes, body.batch_size, body.units_per_buyer)
    async with pool_of(request).acquire() as conn:
        project = await require_project(conn, project_id, who)
        return await use_cases.create_opening(conn, project["id"], new, who.sub)


@router.post("/v1/openings/{opening_id}/entrants", response_model=EntrantsOut)
async def add_entrants(opening_id: str, body: NewEntrants, request: Request, who: Who) -> dict:
    """Registered customers of the project join (all or none: an unknown one → 422 `unknown_customer`)."""
    who.require_role("sales_control")
    return await found_in_pool(request, _opening, opening_id, who, use_cases.add_entrants, body.customer_ids, who.sub)


@router.post("/v1/openings/{opening_id}/draw", response_model=OpeningOut)
async def draw_opening(
    opening_id: str,
    request: Request,
    body: Annotated[Draw | None, Body()] = None,
    who: Principal = Depends(current_principal),
) -> dict:
    """The lottery (摇号): queue numbers from the published seed; event `opening-drawn`; drawn once. Issue 25: an
    opening that took a commitment is drawn by its reveals (409 `seed_by_commitment`)."""
    who.require_role("sales_control", "manager")
    seed = body.seed if body else None
    return await found_in_pool(request, _opening, opening_id, who, use_cases.draw, seed, who.sub)


@router.get("/v1/openings/{opening_id}", response_model=OpeningOut)
async def get_opening(opening_id: str, request: Request, who: Who) -> dict:
    """The opening, its order with each queue number's window, the open batch, the units held and sold; the entrant
    digest and the commitments (issue 25: a notary of the project sees it too)."""
    async with pool_of(request).acquire() as conn:
        return await use_cases.opening_view(conn, await opening_for(conn, opening_id, who))


@router.post("/v1/openings/{opening_id}/kept-out", status_code=201, response_model=KeptOut)
async def keep_unit_out(opening_id: str, body: KeepOut, request: Request, who: Who) -> dict:
    """Issue 19: before the opening starts, a unit of its project is kept out of it, with who and why: its hold is
    not released when the opening goes live, and the opening's hold rule does not apply to it."""
    who.require_role("sales_control", "manager")
    unit_id = parse_uuid(body.unit_id, "unit_id")
    return await found_in_pool(request, _opening, opening_id, who, gate.keep_out, unit_id, body.reason, who.sub)
