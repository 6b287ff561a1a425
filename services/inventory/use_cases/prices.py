"""Inventory use cases for prices (issue 24): the price table (价格表) as CSV or Excel, equal to the unit list;
price adjustments (调价) all or nothing against the filed floor (R21), held and sold units skipped, each change kept
(R35) and announced per unit (`prices-changed`; the board's stream sends the new price); the adjustments' history."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.inventory import store
from services.inventory.domain.prices import (
    PRICE_TABLE,
    PRICE_TABLE_TWO_PLACES,
    Adjustment,
    PricePlan,
    UnitPrice,
    check_adjustment,
    plan_adjustment,
    price_table_row,
)
from services.inventory.store import prices as prices_store
from services.inventory.store.units import UnitFilter
from shared.db.rows import json_view
from shared.http.exports import CSV, Sheet, csv_text, xlsx_bytes
from shared.kernel.errors import InvalidInput
from shared.messaging import topics
from shared.messaging.outbox import add_event


async def price_table(
    conn: asyncpg.Connection, project: asyncpg.Record, wanted: UnitFilter, media_type: str
) -> tuple[bytes, str]:
    """The price table of the units the list would show (every page of it, filters applied), in board order, as
    CSV or an Excel workbook; and the file's name without its extension."""
    rows = [price_table_row(r) for r in await store.list_units(conn, project["id"], *wanted)]
    name = f"price-table-{project['code']}"
    if media_type == CSV:
        return csv_text(PRICE_TABLE, rows).encode("utf-8"), name
    return xlsx_bytes([Sheet("价格表", PRICE_TABLE, rows, PRICE_TABLE_TWO_PLACES)]), name


async def adjust_prices(conn: asyncpg.Connection, project_id: uuid.UUID, adj: Adjustment, actor: str) -> dict[str, Any]:
    """调价: new list prices for units not held or sold, all or nothing (R21: one under its floor refuses the lot,
    naming every such unit); kept with who, when and why (R35); one `prices-changed` per changed unit."""
    check_adjustment(adj)
    async with conn.transaction():
        plan = plan_adjustment(await _units(conn, project_id, adj), adj)
        adjustment_id = uuid.uuid4()
        row = {"id": adjustment_id, "project_id": project_id, "reason": adj.reason, "made_by": actor}
        row |= {"building": adj.building, "percent": adj.percent, "skipped": [u.unit_id for u in plan.skipped]}
        await prices_store.insert_adjustment(conn, row)
        await _apply(conn, project_id, adjustment_id, plan, (adj.reason, actor))
    return {
        "id": str(adjustment_id),
        "changed": [str(u.unit_id) for u, _ in plan.changed],
        "skipped": [str(u.unit_id) for u in plan.skipped],
    }


async def _units(conn: asyncpg.Connection, project_id: uuid.UUID, adj: Adjustment) -> list[UnitPrice]:
    """The units the adjustment names, locked; a listed unit that is not the project's → 422 `unknown_unit`."""
    ids = list(adj.prices) if adj.prices is not None else None
    rows = await prices_store.units_to_price(conn, project_id, ids, adj.building)
    if ids is not None and len(rows) != len(ids):
        unknown = sorted(str(i) for i in set(ids) - {r["id"] for r in rows})
        raise InvalidInput(f"not units of this project: {', '.join(unknown)}", "unknown_unit")
    if not rows:
        raise InvalidInput("no unit of the project matches (building?)", "no_units")
    return [
        UnitPrice(r["id"], r["building"], r["number"], r["status"], r["list_price"], r["floor_price"]) for r in rows
    ]


async def _apply(
    conn: asyncpg.Connection, project_id: uuid.UUID, adjustment_id: uuid.UUID, plan: PricePlan, why: tuple[str, str]
) -> None:
    """Each new price on its unit and in its history, and its event (keyed by the unit, so in order with it)."""
    reason, actor = why
    for unit, price in plan.changed:
        await prices_store.set_price(conn, adjustment_id, unit.unit_id, (unit.list_price, price), actor)
        data: dict[str, Any] = {"adjustment_id": str(adjustment_id), "unit_id": str(unit.unit_id), "reason": reason}
        data |= {"old_price": unit.list_price, "new_price": price, "building": unit.building, "number": unit.number}
        await add_event(conn, topics.PRICES_CHANGED, data, project_id=str(project_id))


async def adjustments_page(
    conn: asyncpg.Connection, project_id: uuid.UUID, window: tuple[Any, int]
) -> list[dict[str, Any]]:
    """Every adjustment of the project, oldest first: who, when, why, how, each unit's old and new price, the units
    it left as they were."""
    rows = await prices_store.adjustments_page(conn, project_id, window)
    changes: dict[uuid.UUID, list[dict[str, Any]]] = {r["id"]: [] for r in rows}
    for change in await prices_store.changes_of(conn, list(changes)):
        changes[change["adjustment_id"]].append(
            {"unit_id": str(change["unit_id"]), "building": change["building"], "number": change["number"]}
            | {"old_price": str(change["old_price"]), "new_price": str(change["new_price"])}
        )
    return [_adjustment(r, changes[r["id"]]) for r in rows]


def _adjustment(row: asyncpg.Record, changes: list[dict[str, Any]]) -> dict[str, Any]:
    percent = None if row["percent"] is None else format(row["percent"].normalize(), "f")
    shown = json_view(row, "id", "made_by", "made_at", "reason", "building")
    return shown | {"percent": percent, "changes": changes, "skipped": [str(u) for u in row["skipped"]]}
