"""Inventory use cases of the live board (issue 11): who may watch it (staff of the project, or a board link),
the snapshot a screen starts from, and the big screen's link."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.inventory import store
from services.inventory.domain import LinkExpired, LinkInvalid, make_link, read_link
from services.inventory.store import board as board_store
from services.inventory.store import openings as openings_store
from shared.kernel.errors import NotFound, found
from shared.runtime.settings import Settings


async def project_of_link(
    conn: asyncpg.Connection, secret: str, link: str, project_id: uuid.UUID, now: datetime
) -> Any:
    """The project a live board link shows — only the one in the path (another project's link learns nothing)."""
    if read_link(secret, link, now) != project_id:
        raise NotFound("no such project")
    return found(await store.project(conn, project_id), "no such project")


async def board_link(
    conn: asyncpg.Connection, settings: Settings, project: Any, hours: int, now: datetime
) -> tuple[str, datetime]:
    """A read-only link to one project's board for the sales office's big screen, expiring after `hours`: the
    page's URL at the service's public address (issue 19: never the asking request's Host header)."""
    token, expires = make_link(settings.jwt_secret, project["id"], now, hours)
    return f"{settings.public_base('inventory')}/board?link={token}", expires


async def board_snapshot(conn: asyncpg.Connection, project: Any) -> dict[str, Any]:
    """Every unit in board order with the stream position it reflects: a screen shows it, then follows the stream
    after `seq` (what changes meanwhile comes again as an event: setting a status twice is harmless)."""
    seq = await board_store.board_head(conn)  # first: every change numbered up to here is in the rows below
    rows = await board_store.board_cells(conn, project["id"])
    counts: dict[str, int] = {}
    buildings: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
        buildings.setdefault(row["building"], {}).setdefault(row["floor"], []).append(_cell(row))
    return {
        "project": {"id": str(project["id"]), "code": project["code"], "name": project["name"]},
        "seq": seq,
        "counts": counts,
        "opening": await _opening(conn, project["id"]),
        "buildings": [
            {
                "building": b,
                "floors": [{"floor": f, "units": units} for f, units in sorted(floors.items(), reverse=True)],
            }
            for b, floors in sorted(buildings.items())
        ],
    }


async def _opening(conn: asyncpg.Connection, project_id: uuid.UUID) -> dict[str, Any] | None:
    """The drawn opening live or to come: its schedule, from which the screen tells the batch and queue numbers
    whose window is open (batch k: queue numbers k·size+1 … (k+1)·size, from starts_at + k·window)."""
    row = await openings_store.opening_on_the_board(conn, project_id)
    if row is None:
        return None
    names = ("window_minutes", "batch_size", "entrants")
    return {"id": str(row["id"]), "starts_at": row["starts_at"].isoformat()} | {name: row[name] for name in names}


def _cell(row: Any) -> dict[str, Any]:
    """A unit as the board shows it: no customer, no hold, no price floor — what the hall may see (rendered by
    the store: ids and amounts already text)."""
    return {name: row[name] for name in board_store.CELL}


def link_state(secret: str, link: str, now: datetime) -> tuple[str, uuid.UUID | None]:
    """What the page says for a link: ("live", project), ("expired", None) or ("invalid", None)."""
    try:
        return "live", read_link(secret, link, now)
    except LinkExpired:
        return "expired", None
    except LinkInvalid:
        return "invalid", None
