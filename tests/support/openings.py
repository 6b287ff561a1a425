"""Openings (issue 11) for the inventory tests: made a while before they start (issue 19: none is made after its
start), joined and drawn through the API."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.inventory.use_cases.openings import NewOpening, create_opening
from tests.support.auth import auth


async def opening_made_before(
    inventory, pid: str, starts_at: datetime, window_minutes: int = 10, batch_size: int = 1, units_per_buyer: int = 1
) -> dict:
    """An opening of the project made a day before `starts_at` (the use case, with that moment as its clock)."""
    new = NewOpening(starts_at, window_minutes, batch_size, units_per_buyer)
    async with inventory.pool.acquire() as conn:
        return await create_opening(conn, uuid.UUID(pid), new, "sales_control-1", starts_at - timedelta(days=1))


async def join_and_draw(inventory, settings, pid: str, oid: str, customers: list[str]) -> dict:
    """The customers join, the manager draws: the opening as the draw answers it (with the order)."""
    joined = await inventory.client.post(
        f"/v1/openings/{oid}/entrants", json={"customer_ids": customers}, headers=auth(settings, "sales_control", pid)
    )
    assert joined.status_code == 200, joined.text
    drawn = await inventory.client.post(f"/v1/openings/{oid}/draw", json={}, headers=auth(settings, "manager", pid))
    assert drawn.status_code == 200, drawn.text
    return drawn.json()
