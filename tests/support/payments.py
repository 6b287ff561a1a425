"""Projects, holds, deposits and sales for the payments tests, each made fresh so tests share nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import asyncpg

from services.payments import consumers
from shared.messaging.topics import PROJECT_CREATED, SUBSCRIPTION_SIGNED, UNIT_LOCKED
from tests.support.apps import apply_event
from tests.support.auth import auth


async def a_project(payments: SimpleNamespace) -> str:
    pid = str(uuid.uuid4())
    await apply_event(
        payments,
        consumers.on_project_created,
        PROJECT_CREATED,
        {
            "project_id": pid,
            "code": f"RG{uuid.uuid4().hex[:12]}",  # receipt numbers are unique across projects: so must codes be
            "name": "Garden",
            "settings": {"cash_limit": "10000.00", "cash_banking_days": 2},
        },
        pid,
    )
    return pid


async def a_hold(payments: SimpleNamespace, pid: str, minutes: int = 30) -> dict:
    hold = {
        "hold_id": str(uuid.uuid4()),
        "unit_id": str(uuid.uuid4()),
        "building": "B1",
        "number": "1801",
        "customer_id": str(uuid.uuid4()),
        "consultant_id": "c-1",
        "list_price": "2000000.00",
        "expires_at": (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat(),
    }
    await apply_event(payments, consumers.on_unit_locked, UNIT_LOCKED, hold, pid)
    return hold


PAID_BY = {"method": "bank_transfer", "source_of_funds": "savings"}  # how a deposit and a payment come, unless told


def deposit_body(hold: dict, **over) -> dict:
    ids = {key: hold[key] for key in ("unit_id", "hold_id", "customer_id")}
    return ids | {"amount": "20000.00"} | PAID_BY | over


async def a_deposit(payments: SimpleNamespace, settings, pid: str, hold: dict, **over) -> dict:
    """A deposit finance took for `hold` (201 asserted)."""
    r = await payments.client.post(
        "/v1/deposits", json=deposit_body(hold, **over), headers=auth(settings, "finance", pid)
    )
    assert r.status_code == 201, r.text
    return r.json()


async def a_verified_deposit(payments: SimpleNamespace, settings, pid: str, hold: dict, **over) -> dict:
    """A deposit verified by two people, finance f-1 then manager m-1 (R23)."""
    dep = await a_deposit(payments, settings, pid, hold, **over)
    url = f"/v1/deposits/{dep['id']}/verifications"
    await payments.client.post(url, headers=auth(settings, "finance", pid, "f-1"))
    assert (await payments.client.post(url, headers=auth(settings, "manager", pid, "m-1"))).status_code == 200
    return dep


async def a_sale(
    payments: SimpleNamespace,
    pid: str,
    hold: dict,
    sale_id: str | None = None,
    price: str = "2000000.00",
    down_payment: str = "600000.00",
    due_in_days: int = 10,
    **extra,
) -> str:
    """A subscription signed for the hold's unit and customer (under the hold unless `hold_id=None`): the sale id."""
    sale_id = sale_id or str(uuid.uuid4())
    due = (datetime.now(UTC) + timedelta(days=due_in_days)).date().isoformat()  # relative: no test depends on the day
    data = {
        "sale_id": sale_id,
        "unit_id": hold["unit_id"],
        "customer_id": hold["customer_id"],
        "price": price,
        "down_payment": {"amount": down_payment, "due_date": due},
        "hold_id": hold["hold_id"],
    } | extra
    await apply_event(payments, consumers.on_subscription_signed, SUBSCRIPTION_SIGNED, data, pid)
    return sale_id


async def outbox_count(conn: asyncpg.Connection, topic: str, key: str) -> int:
    """How many events of `topic` (its name, written out) the outbox holds under `key`."""
    return await conn.fetchval("SELECT count(*) FROM outbox WHERE topic = $1 AND key = $2", topic, key)


def payment_body(**over) -> dict:
    return {"kind": "down_payment", "amount": "300000.00"} | PAID_BY | over


async def a_payment(payments: SimpleNamespace, settings, pid: str, sale_id: str, **over) -> dict:
    """A payment finance recorded on the sale (201 asserted)."""
    r = await payments.client.post(
        f"/v1/sales/{sale_id}/payments", json=payment_body(**over), headers=auth(settings, "finance", pid)
    )
    assert r.status_code == 201, r.text
    return r.json()
