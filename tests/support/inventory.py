"""Projects, units, customers, holds and deposit events for the inventory tests, each made fresh so tests share
nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from services.inventory import consumers, store
from services.inventory.use_cases import HoldDesk
from shared.messaging import topics
from shared.trust import ownership
from tests.support.apps import apply_event
from tests.support.auth import auth


async def new_project(inventory, settings, units: int = 4, **project_settings) -> tuple[str, list[dict]]:
    admin = auth(settings, "admin", "*")
    code = f"P{uuid.uuid4().hex[:8]}"
    r = await inventory.client.post(
        "/v1/projects",
        json={"code": code, "name": "Test", "city": "Hangzhou", "settings": project_settings},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    pid = r.json()["id"]
    rows = [
        {
            "building": "B1",
            "number": f"{100 + i}",
            "floor": 1,
            "layout": "2BR",
            "area_m2": "80.00",
            "list_price": "1000000.00",
            "floor_price": "900000.00",
        }
        for i in range(units)
    ]
    r = await inventory.client.post(f"/v1/projects/{pid}/units", json=rows, headers=admin)
    assert r.status_code == 201 and r.json() == {"created": units}
    listed = (await inventory.client.get(f"/v1/projects/{pid}/units", headers=auth(settings, "manager", pid))).json()
    return pid, listed


def in_days(days: int) -> str:
    """A date relative to today, so no test depends on the day it runs."""
    return (datetime.now(UTC) + timedelta(days=days)).date().isoformat()


async def known_customer(inventory, pid: str, owner: str = "consultant-1") -> str:
    """A customer inventory has heard of (customer-registered), owned by `owner` (R8)."""
    customer = uuid.uuid4()
    async with inventory.pool.acquire() as conn:
        await store.remember_customer(conn, uuid.UUID(pid), customer)
        await ownership.record_owner(conn, str(customer), pid, owner, datetime.now(UTC))
    return str(customer)


def hold_desk(inventory, **levers: bool) -> HoldDesk:
    """A hold desk on the running inventory's pool, for calling the hold use case directly: every lever of the
    hold path on (the default) unless `levers` turns one off."""
    return HoldDesk(lambda: inventory.pool, **levers)


async def hold(inventory, settings, pid: str, uid: str, customer: str, sub: str = "consultant-1") -> str:
    r = await inventory.client.post(
        f"/v1/units/{uid}/holds", json={"customer_id": customer}, headers=auth(settings, "consultant", pid, sub)
    )
    assert r.status_code == 201, r.text
    return r.json()["hold_id"]


def deposit(uid: str, hold_id: str, customer: str, deposit_id: str | None = None) -> dict:
    return {
        "deposit_id": deposit_id or str(uuid.uuid4()),
        "hold_id": hold_id,
        "unit_id": uid,
        "customer_id": customer,
        "amount": "20000.00",
        "receipt_no": "R-1",
        "verified_by": ["f-1", "f-2"],
    }


async def verified(inventory, pid: str, data: dict) -> None:
    await apply_event(inventory, consumers.on_deposit_verified, topics.DEPOSIT_VERIFIED, data, pid)


async def refunded(inventory, pid: str, data: dict) -> None:
    refund = {k: data[k] for k in ("deposit_id", "hold_id", "unit_id", "customer_id", "amount")}
    await apply_event(inventory, consumers.on_deposit_refunded, topics.DEPOSIT_REFUNDED, refund, pid)


async def unit_state(inventory, uid: str) -> asyncpg.Record:
    async with inventory.pool.acquire() as conn:
        return await conn.fetchrow("SELECT status, hold_id, sale_id FROM units WHERE id = $1", uuid.UUID(uid))


async def opening_live_at(conn: asyncpg.Connection, pid: str, at: datetime) -> None:
    """A drawn opening of the project whose one window spans `at` (issue 11), written straight to the table."""
    await conn.execute(
        "INSERT INTO openings (id, project_id, starts_at, window_minutes, batch_size, units_per_buyer, status,"
        " ends_at, created_by) VALUES ($1, $2, $3, 10, 1, 1, 'drawn', $4, 'test')",
        uuid.uuid4(),
        uuid.UUID(pid),
        at - timedelta(minutes=1),
        at + timedelta(minutes=9),
    )
