"""Issue 24 in inventory, on real PostgreSQL: the manager names designees who may countersign (R27) or take deposits
(R23, applied by payments), every naming kept and told; a sale keeps every version of itself (R35)."""

from __future__ import annotations

import uuid

import asyncpg
import orjson
import pytest

from shared.messaging import topics
from tests.support.auth import auth
from tests.support.inventory import deposit, hold, in_days, known_customer, new_project, verified

TERMS = {"buyer_signed": True, "down_payment": {"amount": "300000.00", "due_date": in_days(20)}}


async def _reserved(inventory, settings, pid: str, uid: str) -> str:
    customer = await known_customer(inventory, pid)
    await verified(inventory, pid, deposit(uid, await hold(inventory, settings, pid, uid, customer), customer))
    return (await inventory.client.get(f"/v1/units/{uid}", headers=auth(settings, "manager", pid))).json()["sale_id"]


async def _name(inventory, settings, pid: str, staff: str, powers: list[str], role: str = "manager"):
    return await inventory.client.put(
        f"/v1/projects/{pid}/designees/{staff}",
        json={"powers": powers, "reason": "陈经理休假期间代签"},
        headers=auth(settings, role, pid),
    )


async def test_a_designee_the_manager_named_countersigns_and_nobody_else_r27(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=3)
    named = await _name(inventory, settings, pid, "sc-7", ["countersign", "take_deposits", "countersign"])
    assert named.status_code == 200, named.text
    assert named.json()["powers"] == ["take_deposits", "countersign"] and named.json()["named_by"] == "manager-1"
    sale = await _reserved(inventory, settings, pid, units[0]["id"])
    url = f"/v1/sales/{sale}/subscription"
    other = await inventory.client.post(url, json=TERMS, headers=auth(settings, "sales_control", pid, "sc-8"))
    assert other.status_code == 403 and other.json()["error"]["code"] == "wrong_role"
    signed = await inventory.client.post(url, json=TERMS, headers=auth(settings, "sales_control", pid, "sc-7"))
    assert signed.status_code == 200, signed.text
    async with inventory.pool.acquire() as conn:
        subscription = await conn.fetchval("SELECT subscription FROM sales WHERE id = $1", uuid.UUID(sale))
    assert (subscription["countersigned_by"], subscription["countersigned_as"]) == ("sc-7", "designee")

    assert (await _name(inventory, settings, pid, "sc-7", [])).status_code == 200  # withdrawn
    second = await _reserved(inventory, settings, pid, units[1]["id"])
    r = await inventory.client.post(
        f"/v1/sales/{second}/subscription", json=TERMS, headers=auth(settings, "sales_control", pid, "sc-7")
    )
    assert r.status_code == 403
    listed = (
        await inventory.client.get(f"/v1/projects/{pid}/designees", headers=auth(settings, "finance", pid))
    ).json()
    assert listed == []
    async with inventory.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT payload FROM outbox WHERE topic = $1 AND key = $2 ORDER BY id", topics.DESIGNEE_NAMED.name, pid
        )
    told = [orjson.loads(bytes(r["payload"]))["data"] for r in rows]
    assert [(t["staff_id"], t["powers"]) for t in told] == [("sc-7", ["take_deposits", "countersign"]), ("sc-7", [])]


@pytest.mark.parametrize(
    "powers, role, status, code",
    [
        (["sign_anything"], "manager", 422, "invalid_power"),
        (["countersign"], "sales_control", 403, "wrong_role"),
        (["countersign"], "finance", 403, "wrong_role"),
    ],
)
async def test_only_the_manager_names_designees_and_only_for_the_two_powers(
    inventory, settings, powers, role, status, code
) -> None:
    pid, _ = await new_project(inventory, settings, units=1)
    r = await _name(inventory, settings, pid, "x-1", powers, role)
    assert r.status_code == status and r.json()["error"]["code"] == code


async def test_a_sale_keeps_every_version_of_itself_and_is_never_deleted_r35(inventory, settings) -> None:
    pid, units = await new_project(inventory, settings, units=1)
    sale = await _reserved(inventory, settings, pid, units[0]["id"])
    r = await inventory.client.post(
        f"/v1/sales/{sale}/subscription", json=TERMS, headers=auth(settings, "manager", pid)
    )
    assert r.status_code == 200
    async with inventory.pool.acquire() as conn:
        versions = await conn.fetch(
            "SELECT op, row_data FROM sale_history WHERE sale_id = $1 ORDER BY id", uuid.UUID(sale)
        )
        assert [(v["op"], v["row_data"]["status"]) for v in versions] == [
            ("INSERT", "reserved"),
            ("UPDATE", "subscribed"),
        ]
        for statement in ("DELETE FROM sales WHERE id = $1", "DELETE FROM sale_history WHERE sale_id = $1"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await conn.execute(statement, uuid.UUID(sale))
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("TRUNCATE sales CASCADE")
