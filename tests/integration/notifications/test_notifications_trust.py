"""Issue 8 in notifications, on real PostgreSQL: reminders cancelled when what they remind of is done (in any
order of events), quiet hours checked again at send time, failures backed off, who sees whom, lists paged."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.notifications import consumers, store, use_cases
from services.notifications.app import build_spec
from services.notifications.domain import Planned
from shared.http.tokens import make_token
from shared.messaging.topics import (
    CUSTOMER_REGISTERED,
    DEPOSIT_REFUNDED,
    MORTGAGE_APPOINTMENT_SCHEDULED,
    OWNERSHIP_CHANGED,
    PAYMENT_RECEIVED,
    SALE_CANCELLED,
    SUBSCRIPTION_SIGNED,
)
from shared.trust import ownership
from tests.support.apps import apply_event, running_app

NOON = datetime(2030, 1, 7, 4, tzinfo=UTC)  # 12:00 in Shanghai: fixed, so no test depends on the hour


@pytest.fixture(scope="module")
async def notifications(settings):
    async with running_app(build_spec(), settings) as svc:
        yield svc


def auth(settings, pid: str, role: str = "manager", sub: str = "m-1") -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(settings.jwt_secret, sub, role, [pid])}"}


async def subscribed(notifications, pid: str, **ids) -> dict:
    data = {
        "sale_id": str(uuid.uuid4()),
        "unit_id": str(uuid.uuid4()),
        "customer_id": str(uuid.uuid4()),
        "price": "1000000.00",
        "consultant_id": "k-1",
        "down_payment": {
            "amount": "300000.00",
            "due_date": (datetime.now(UTC) + timedelta(days=30)).date().isoformat(),
        },
    } | ids
    await apply_event(notifications, consumers.on_subscription_signed, SUBSCRIPTION_SIGNED, data, pid)
    return data


async def statuses(notifications, sale_id: str, kind: str | None = None) -> set[str]:
    async with notifications.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT status FROM reminders WHERE sale_id = $1 AND ($2::text IS NULL OR kind = $2)",
            uuid.UUID(sale_id),
            kind,
        )
    return {r["status"] for r in rows}


def payment(sale: dict, amount: str) -> dict:
    return {
        "payment_id": str(uuid.uuid4()),
        "sale_id": sale["sale_id"],
        "unit_id": sale["unit_id"],
        "kind": "down_payment",
        "amount": amount,
    }


async def test_the_down_payment_paid_in_full_cancels_its_reminders_r28(notifications) -> None:
    pid = str(uuid.uuid4())
    sale = await subscribed(notifications, pid)
    await apply_event(notifications, consumers.on_payment_received, PAYMENT_RECEIVED, payment(sale, "100000.00"), pid)
    assert await statuses(notifications, sale["sale_id"]) == {"scheduled"}  # part paid: still reminded
    await apply_event(notifications, consumers.on_payment_received, PAYMENT_RECEIVED, payment(sale, "200000.00"), pid)
    assert await statuses(notifications, sale["sale_id"]) == {"cancelled"}


async def test_a_payment_seen_before_the_subscription_still_cancels(notifications) -> None:
    pid, sale_id, unit_id = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    early = {
        "payment_id": str(uuid.uuid4()),
        "sale_id": sale_id,
        "unit_id": unit_id,
        "kind": "down_payment",
        "amount": "300000.00",
    }
    await apply_event(notifications, consumers.on_payment_received, PAYMENT_RECEIVED, early, pid)
    await subscribed(notifications, pid, sale_id=sale_id, unit_id=unit_id)
    assert await statuses(notifications, sale_id) == {"cancelled"}


async def test_a_cancelled_sale_or_refunded_deposit_cancels_and_a_late_schedule_is_born_cancelled(
    notifications,
) -> None:
    pid = str(uuid.uuid4())
    sale = await subscribed(notifications, pid)
    cancelled = {k: sale[k] for k in ("sale_id", "unit_id", "customer_id")} | {"reason": "退订"}
    await apply_event(notifications, consumers.on_sale_cancelled, SALE_CANCELLED, cancelled, pid)
    assert await statuses(notifications, sale["sale_id"]) == {"cancelled"}
    late_sale = str(uuid.uuid4())  # the cancellation overtakes the subscription (other topic)
    await apply_event(
        notifications, consumers.on_sale_cancelled, SALE_CANCELLED, cancelled | {"sale_id": late_sale}, pid
    )
    await subscribed(notifications, pid, sale_id=late_sale)
    assert await statuses(notifications, late_sale) == {"cancelled"}
    refunded_sale = await subscribed(notifications, pid)
    await apply_event(
        notifications,
        consumers.on_deposit_refunded,
        DEPOSIT_REFUNDED,
        {
            "deposit_id": str(uuid.uuid4()),
            "hold_id": str(uuid.uuid4()),
            "unit_id": refunded_sale["unit_id"],
            "customer_id": refunded_sale["customer_id"],
            "amount": "20000.00",
        },
        pid,
    )
    assert await statuses(notifications, refunded_sale["sale_id"]) == {"cancelled"}


async def test_a_moved_appointment_replaces_the_old_reminders_r30(notifications) -> None:
    pid = str(uuid.uuid4())
    sale = await subscribed(notifications, pid)
    for days in (20, 25):
        at = (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)
        await apply_event(
            notifications,
            consumers.on_mortgage_appointment,
            MORTGAGE_APPOINTMENT_SCHEDULED,
            {
                "appointment_id": str(uuid.uuid4()),
                "sale_id": sale["sale_id"],
                "unit_id": sale["unit_id"],
                "customer_id": sale["customer_id"],
                "at": at.isoformat(),
                "place": "ICBC",
                "documents": ["ID"],
            },
            pid,
        )
    async with notifications.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT status, due_at FROM reminders WHERE sale_id = $1 AND kind = 'mortgage_appointment'",
            uuid.UUID(sale["sale_id"]),
        )
    live = [r["due_at"] for r in rows if r["status"] == "scheduled"]
    assert len(rows) == 6 and len(live) == 3
    assert min(live) > datetime.now(UTC) + timedelta(days=17)  # the new appointment's, 7 days before


async def _one_due(notifications, pid: str, due: datetime, channel: str = "sms") -> uuid.UUID:
    async with notifications.pool.acquire() as conn:
        await conn.execute("UPDATE reminders SET status = 'sent' WHERE status = 'scheduled'")  # isolate this test
        await use_cases.schedule(
            conn,
            [Planned("test", "x", due, "customer:1", channel, "hello")],
            project_id=pid,
            customer_id=None,
            sale_id=None,
            source_event=str(uuid.uuid4()),
            now=due,
        )
        return await conn.fetchval("SELECT id FROM reminders WHERE project_id = $1", uuid.UUID(pid))


async def test_a_backlog_inside_quiet_hours_waits_for_their_end_r15(notifications) -> None:
    pid = str(uuid.uuid4())
    reminder = await _one_due(notifications, pid, NOON)
    night = datetime(2030, 1, 7, 15, tzinfo=UTC)  # 23:00 in Shanghai: the dispatcher was away till now
    async with notifications.pool.acquire() as conn:
        assert await use_cases.dispatch_due(conn, {}, now=night) == 0
        row = await conn.fetchrow("SELECT status, send_at FROM reminders WHERE id = $1", reminder)
    assert row["status"] == "scheduled" and row["send_at"] == datetime(2030, 1, 8, 1, tzinfo=UTC)  # 09:00


class Broken:
    async def send(self, recipient: str, body: str) -> str:
        raise ConnectionError("provider down")


async def test_failed_sends_back_off_and_then_give_up(notifications) -> None:
    pid = str(uuid.uuid4())
    reminder = await _one_due(notifications, pid, NOON)
    waits = []
    async with notifications.pool.acquire() as conn:
        now = NOON
        for _ in range(5):
            await use_cases.dispatch_due(conn, {"sms": Broken()}, now=now)
            row = await conn.fetchrow("SELECT status, send_at FROM reminders WHERE id = $1", reminder)
            waits.append((row["send_at"] - now).total_seconds())
            now = row["send_at"]
    assert waits[:4] == [30, 60, 120, 240] and row["status"] == "failed"


async def test_a_consultant_sees_only_their_own_customers_reminders_r8(notifications, settings) -> None:
    pid = str(uuid.uuid4())
    mine, theirs = await subscribed(notifications, pid), await subscribed(notifications, pid)
    for sale, owner in ((mine, "k-1"), (theirs, "k-2")):
        await apply_event(
            notifications,
            ownership.on_customer_registered,
            CUSTOMER_REGISTERED,
            {"customer_id": sale["customer_id"], "owner_id": owner},
            pid,
        )
    k1 = auth(settings, pid, "consultant", "k-1")
    r = await notifications.client.get("/v1/reminders", params={"customer_id": theirs["customer_id"]}, headers=k1)
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    listed = (await notifications.client.get("/v1/reminders", headers=k1)).json()
    assert listed and {x["customer_id"] for x in listed} <= {mine["customer_id"], None, theirs["customer_id"]}
    assert all(x["customer_id"] == mine["customer_id"] or x["recipient"] == "staff:k-1" for x in listed)
    stranger = auth(settings, str(uuid.uuid4()))
    r = await notifications.client.get("/v1/reminders", params={"customer_id": mine["customer_id"]}, headers=stranger)
    assert r.status_code == 404


async def _owner_learnt(notifications, pid: str, customer: str, owner: str) -> None:
    """Leads tells who registered the customer."""
    registered = {"customer_id": customer, "owner_id": owner}
    await apply_event(notifications, ownership.on_customer_registered, CUSTOMER_REGISTERED, registered, pid)


async def _owner_changed(notifications, pid: str, customer: str, owner: str) -> None:
    """Leads tells the customer passed to another consultant."""
    moved = {"customer_id": customer, "project_id": pid, "to_consultant_id": owner, "reason": "assign"}
    await apply_event(notifications, ownership.on_ownership_changed, OWNERSHIP_CHANGED, moved, pid)


async def test_a_consultants_reminders_follow_the_customer_from_owner_to_owner_r8(notifications, settings) -> None:
    """Issue 23: a reminder carries its customer's owner, learnt before or after the reminder and kept on a change."""
    pid, customer = str(uuid.uuid4()), str(uuid.uuid4())
    await subscribed(notifications, pid, customer_id=customer, consultant_id="k-5")  # the owner not yet known

    async def about_the_customer(sub: str) -> int:
        listed = (
            await notifications.client.get("/v1/reminders", headers=auth(settings, pid, "consultant", sub))
        ).json()
        return sum(x["customer_id"] == customer for x in listed)

    assert await about_the_customer("k-6") == 0
    await _owner_learnt(notifications, pid, customer, "k-6")
    assert await about_the_customer("k-6") == 4
    await _owner_changed(notifications, pid, customer, "k-7")
    assert (await about_the_customer("k-6"), await about_the_customer("k-7")) == (0, 4)
    await subscribed(notifications, pid, customer_id=customer, consultant_id="k-5")  # written with the owner known
    assert await about_the_customer("k-7") == 8


async def test_a_consultants_messages_follow_the_customer_from_owner_to_owner_r8(notifications, settings) -> None:
    """Issue 23: a message carries the owner of its reminder's customer, learnt before or after and kept on a change."""
    pid, customer = str(uuid.uuid4()), str(uuid.uuid4())
    await subscribed(notifications, pid, customer_id=customer, consultant_id="k-5")

    async def record(count: int) -> None:
        async with notifications.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT * FROM reminders WHERE customer_id = $1 LIMIT $2", uuid.UUID(customer), count
            )
            for row in rows:
                await store.record_message(conn, row, "recorded", None)

    async def about_the_customer(sub: str) -> int:
        async with notifications.pool.acquire() as conn:
            ours = await conn.fetch(
                "SELECT n.id FROM notifications n JOIN reminders r ON r.id = n.reminder_id WHERE r.customer_id = $1",
                uuid.UUID(customer),
            )
        headers = auth(settings, pid, "consultant", sub)
        listed = (await notifications.client.get("/v1/notifications", headers=headers)).json()
        return len({x["id"] for x in listed} & {str(r["id"]) for r in ours})

    await record(2)  # the owner not yet known
    assert await about_the_customer("k-6") == 0
    await _owner_learnt(notifications, pid, customer, "k-6")
    assert await about_the_customer("k-6") == 2
    await _owner_changed(notifications, pid, customer, "k-7")
    assert (await about_the_customer("k-6"), await about_the_customer("k-7")) == (0, 2)
    await record(1)  # recorded with the owner known
    assert await about_the_customer("k-7") == 3


async def test_reminders_page_with_link_next(notifications, settings) -> None:
    pid = str(uuid.uuid4())
    sale = await subscribed(notifications, pid)  # four reminders
    first = await notifications.client.get(
        "/v1/reminders", params={"sale_id": sale["sale_id"], "limit": 3}, headers=auth(settings, pid)
    )
    assert len(first.json()) == 3 and 'rel="next"' in first.headers["link"]
    rest = await notifications.client.get(first.headers["link"].split(">")[0].lstrip("<"), headers=auth(settings, pid))
    assert len(rest.json()) == 1 and "link" not in rest.headers
