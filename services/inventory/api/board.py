"""The live sales-control board (销控板, issue 11): the snapshot, the stream of unit changes (Server-Sent Events
through sse-starlette), the big screen's read-only link and the page itself (a static file, no build step)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field
from sse_starlette import EventSourceResponse

from services.inventory import use_cases
from services.inventory.api.common import require_project
from services.inventory.domain import DEFAULT_HOURS, MAX_HOURS
from services.inventory.domain.board import STREAM_RETRY_SECONDS, TooManyStreams
from services.inventory.streams import board_stream, holders, slots_of
from shared.http import pages
from shared.http.api_errors import ApiError
from shared.http.auth import Who, current_principal
from shared.http.refusals import ERROR_RESPONSES, refusal_answer
from shared.http.requests import parse_uuid, pool_of
from shared.kernel.clock import now_utc

router = APIRouter(tags=["board"])
PAGE = pages.page("销控板 · Sales-control board", Path(__file__).parent / "board.html")
GONE = pages.GonePage(
    title="销控板 · Sales-control board",
    background="#101418",
    color="#f3f5f7",
    h1_size="3rem",
    h1_color=None,
    p_size="1.6rem",
    p_color="#aab4be",
    ask="请向销售经理或销控申请新的看板链接 · Ask a sales manager or sales control for a new board link.",
)
Link = Annotated[str | None, Query(max_length=2000, description="a board link (instead of a staff token)")]


class BoardUnit(BaseModel):
    id: str
    number: str
    layout: str | None
    status: str
    area_m2: str
    list_price: str


class BoardFloor(BaseModel):
    floor: int
    units: list[BoardUnit]


class BoardBuilding(BaseModel):
    building: str
    floors: list[BoardFloor]


class BoardOpening(BaseModel):
    id: str
    starts_at: str
    window_minutes: int
    batch_size: int
    entrants: int


class Board(BaseModel):
    project: dict[str, str]
    seq: int
    counts: dict[str, int]
    opening: BoardOpening | None
    buildings: list[BoardBuilding]


class NewLink(BaseModel):
    hours: int = Field(DEFAULT_HOURS, ge=1, le=MAX_HOURS)


class BoardLink(BaseModel):
    url: str
    expires_at: str


async def _watched(conn: Any, request: Request, project_id: str, link: str | None) -> Any:
    """The project, for staff of it (bearer token) or for a live board link of it."""
    if link is None:
        return await require_project(conn, project_id, await current_principal(request))
    pid, secret = parse_uuid(project_id, "project id"), request.app.state.settings.jwt_secret
    return await use_cases.project_of_link(conn, secret, link, pid, now_utc())


@router.get("/v1/projects/{project_id}/board", response_model=Board)
async def get_board(project_id: str, request: Request, link: Link = None) -> Response:
    """Every unit of the project in board order, the counts per status, and `seq`: the stream resumes after it.
    Rendered as it is (the shape is `Board`'s by construction): validating thousands of units again on the way out
    cost more than reading them."""
    async with pool_of(request).acquire() as conn:
        board = await use_cases.board_snapshot(conn, await _watched(conn, request, project_id, link))
    return Response(orjson.dumps(board), media_type="application/json")


@router.get(
    "/v1/projects/{project_id}/board/stream",
    response_class=EventSourceResponse,
    responses={
        200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}},
        429: ERROR_RESPONSES[409] | {"description": "too many streams of this board link or person: see Retry-After"},
    },
)
async def stream_board(
    project_id: str,
    request: Request,
    link: Link = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="resume after this `id:`")] = None,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID", max_length=20)] = None,
) -> Response:
    """One `unit` event per status change, `id:` a number that only grows; a reconnecting client (Last-Event-ID,
    or `after`) receives every change since, nothing twice; a comment line every 10 s. Issue 19: a board link and
    a person each hold a few streams at once (429 with Retry-After beyond), and a screen that falls too far behind
    is dropped: its stream ends, and it resumes with Last-Event-ID. Issue 25: the board's fan-out process serves
    it, away from the hold path's event loop."""
    async with pool_of(request).acquire() as conn:
        project = await _watched(conn, request, project_id, link)
    resume = _resume_point(last_event_id, after)
    runtime, settings = request.app.state.runtime, request.app.state.settings
    subject = None if link is not None else (await current_principal(request)).sub
    try:
        release = slots_of(runtime).take(holders(settings, link, subject))
    except TooManyStreams as busy:
        status, body = refusal_answer(busy)  # the one mapping; the header is what this answer adds
        return JSONResponse(body, status, headers={"Retry-After": str(STREAM_RETRY_SECONDS)})
    return board_stream(runtime, settings, project["id"], resume, release)


def _resume_point(header: str | None, query: int | None) -> int | None:
    """The browser's own Last-Event-ID wins over the `after` the page started with."""
    if header is None or header == "":
        return query
    if not header.isdigit():
        raise ApiError("invalid_last_event_id", "Last-Event-ID must be a number this stream gave", 422)
    return int(header)


@router.post("/v1/projects/{project_id}/board-links", status_code=201, response_model=BoardLink)
async def create_board_link(project_id: str, body: NewLink, request: Request, who: Who) -> dict:
    """A read-only link for the big screen: one project, no personal data, expiring (12 h by default, ≤ 72)."""
    who.require_role("manager", "sales_control")
    async with pool_of(request).acquire() as conn:
        project = await require_project(conn, project_id, who)
        settings = request.app.state.settings
        url, expires = await use_cases.board_link(conn, settings, project, body.hours, now_utc())
    return {"url": url, "expires_at": expires.isoformat()}


@router.get("/board", include_in_schema=False)
async def page(request: Request, link: str = Query("", max_length=2000)) -> HTMLResponse:
    """The board for the big screen; an expired, tampered or missing link gets a page that says so."""
    if not link:  # the page itself says where to get a link
        return HTMLResponse(PAGE, headers={"Cache-Control": "no-store"})
    state, project_id = use_cases.link_state(request.app.state.settings.jwt_secret, link, now_utc())
    if project_id is None:
        return _gone(state == "expired")
    config = orjson.dumps({"project_id": str(project_id), "link": link}).decode()
    return HTMLResponse(
        PAGE.replace("/*BOARD*/null", config.replace("</", "<\\/")), headers={"Cache-Control": "no-store"}
    )


def _gone(expired: bool) -> HTMLResponse:
    zh, en = ("链接已过期", "This board link has expired") if expired else ("链接无效", "This board link is not valid")
    return HTMLResponse(GONE.render(zh, en), status_code=410 if expired else 403)
