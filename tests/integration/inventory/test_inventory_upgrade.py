"""Inventory's migration 004 on real PostgreSQL: a project stored with the old `max_calls_per_day` setting keeps
its value under `max_contacts_per_day` and still reads (issue 10, R15)."""

from __future__ import annotations

import uuid
from pathlib import Path

from services.inventory import store

MIGRATION = Path(__file__).resolve().parents[3] / "services/inventory/migrations/004_contact_cap_setting.sql"


async def test_the_old_contact_setting_is_renamed_and_the_project_still_reads(inventory) -> None:
    pid = uuid.uuid4()
    old = {"hold_minutes": 30, "max_calls_per_day": 3, "timezone": "Asia/Shanghai"}
    async with inventory.pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "INSERT INTO projects (id, code, name, settings) VALUES ($1, $2, 'Old', $3::jsonb)",
            pid,
            f"OLD-{pid.hex[:6]}",
            old,
        )
        await conn.execute(MIGRATION.read_text())
        rules = store.project_settings(await store.project(conn, pid))
    assert rules.max_contacts_per_day == 3 and rules.hold_minutes == 30
