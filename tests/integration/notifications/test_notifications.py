"""Notifications on real PostgreSQL: reminders from events, quiet hours, dispatch exactly once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from services.notifications import consumers, use_cases
from services.notifications.app import build_spec
from services.notifications.channels import development_channels
from services.notifications.domain import Planned
from shared.db.databases import service_dsn
from shared.http.tokens import make_token
from shared.messaging.envelope import new_envelope
from shared.messaging.topics import (
    CALLBACK_DONE,
    CALLBACK_SCHEDULED,
    MORTGAGE_APPOINTMENT_SCHEDULED,
    OVERDUE_DIGEST,
    OWNER_NEWS,
    PAYMENT_OVERDUE,
    REFERRAL_REWARDED,
    SUBSCRIPTION_SIGNED,
)
from tests.support.apps import apply_event, running_app


@pytest.fixture(scope="module")
async def notifications(settings):
    async with running_app(build_spec(), settings) as svc:
        yield svc


async def apply(notifications, handler, topic, data, pid):
    env = new_envelope(
        topic.event_type, topic.data_model.model_validate(data).model_dump(mode="json"), producer="test", project_id=pid
    )
    async with notifications.pool.acquire() as conn, conn.transaction():
        await handler(conn, env, topic.data_model.model_validate(env.data))
    return env


def auth(settings, pid):
    return {"Authorization": f"Bearer {make_token(settings.jwt_secret, 'm-1', 'manager', [pid])}"}


async def test_subscription_and_mortgage_create_reminders_once(notifications, settings) -> None:
    pid, sale, customer = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    due = date.today() + timedelta(days=30)
    data = {
        "sale_id": sale,
        "unit_id": str(uuid.uuid4()),
        "customer_id": customer,
        "price": "1000000.00",
        "down_payment": {"amount": "300000.00", "due_date": due.isoformat()},
        "consultant_id": "k-1",
    }
    env = await apply_event(notifications, consumers.on_subscription_signed, SUBSCRIPTION_SIGNED, data, pid)
    async with notifications.pool.acquire() as conn, conn.transaction():  # the same event again (a duplicate)
        await consumers.on_subscription_signed(conn, env, SUBSCRIPTION_SIGNED.data_model.model_validate(env.data))
    at = (datetime.now(UTC) + timedelta(days=20)).replace(microsecond=0)
    await apply_event(
        notifications,
        consumers.on_mortgage_appointment,
        MORTGAGE_APPOINTMENT_SCHEDULED,
        {
            "appointment_id": str(uuid.uuid4()),
            "sale_id": sale,
            "unit_id": str(uuid.uuid4()),
            "customer_id": customer,
            "at": at.isoformat(),
            "place": "ICBC",
            "documents": ["ID card"],
        },
        pid,
    )
    body = (
        await notifications.client.get("/v1/reminders", params={"sale_id": sale}, headers=auth(settings, pid))
    ).json()
    kinds = sorted((r["kind"], r["offset"]) for r in body)
    assert kinds == [
        ("down_payment_due", "2d"),
        ("down_payment_due", "2d-consultant"),
        ("down_payment_due", "5d"),
        ("down_payment_due", "5d-consultant"),
        ("mortgage_appointment", "1d"),
        ("mortgage_appointment", "3d"),
        ("mortgage_appointment", "7d"),
    ]
    other = (
        await notifications.client.get(
            "/v1/reminders", params={"sale_id": sale}, headers=auth(settings, str(uuid.uuid4()))
        )
    ).json()
    assert other == []


async def test_overdue_goes_to_the_manager_and_is_sent_out_of_quiet_hours(notifications, settings) -> None:
    pid, sale = str(uuid.uuid4()), str(uuid.uuid4())
    await apply_event(
        notifications,
        consumers.on_payment_overdue,
        PAYMENT_OVERDUE,
        {
            "sale_id": sale,
            "unit_id": str(uuid.uuid4()),
            "customer_id": str(uuid.uuid4()),
            "amount": "300000.00",
            "due_date": "2026-11-20",
        },
        pid,
    )
    async with notifications.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM reminders WHERE sale_id = $1", uuid.UUID(sale))
    assert row["recipient"] == f"role:manager:{pid}"
    local = row["send_at"].astimezone(ZoneInfo("Asia/Shanghai")).time()
    assert not (local.hour >= 21 or local.hour < 9)


async def test_two_dispatchers_send_each_due_reminder_exactly_once(notifications, settings) -> None:
    pid = str(uuid.uuid4())
    past = datetime(2030, 1, 7, 2, tzinfo=UTC)  # 10:00 in Shanghai: a fixed clock, out of quiet hours
    async with notifications.pool.acquire() as conn:
        await conn.execute("UPDATE reminders SET status = 'sent' WHERE status = 'scheduled'")  # isolate this test
        plans = [Planned("test", f"n{i}", past, f"customer:{i}", "sms", f"message {i}") for i in range(40)]
        await use_cases.schedule(
            conn, plans, project_id=pid, customer_id=None, sale_id=None, source_event=str(uuid.uuid4()), now=past
        )
    dsn = service_dsn(settings, "notifications")
    conns = [await asyncpg.connect(dsn) for _ in range(2)]
    try:
        channels = development_channels()
        far = past + timedelta(hours=2)  # 12:00 in Shanghai
        for _ in range(5):
            await asyncio.gather(*(use_cases.dispatch_due(c, channels, batch=7, now=far) for c in conns))
    finally:
        for c in conns:
            await c.close()
    async with notifications.pool.acquire() as conn:
        sent = await conn.fetchval("SELECT count(*) FROM notifications WHERE project_id = $1", uuid.UUID(pid))
        dupes = await conn.fetchval(
            "SELECT count(*) FROM (SELECT reminder_id FROM notifications WHERE project_id = $1"
            " GROUP BY reminder_id HAVING count(*) > 1) d",
            uuid.UUID(pid),
        )
    assert sent == 40 and dupes == 0
    listed = (
        await notifications.client.get(
            "/v1/notifications", params={"recipient": "customer:3"}, headers=auth(settings, pid)
        )
    ).json()
    assert listed[0]["channel"] == "sms" and listed[0]["status"] == "recorded" and listed[0]["body"] == "message 3"


async def test_a_call_back_reminds_its_consultant_in_the_app_until_it_is_done_r7(notifications, settings) -> None:
    pid, customer, callback = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    due = datetime.now(UTC) + timedelta(days=1)
    data = {"callback_id": callback, "customer_id": customer, "consultant_id": "c-7", "due_at": due.isoformat()}
    await apply(notifications, consumers.on_callback_scheduled, CALLBACK_SCHEDULED, data, pid)
    async with notifications.pool.acquire() as conn:
        planned = await conn.fetch("SELECT recipient, channel, status FROM reminders WHERE offset_label = $1", callback)
    assert [tuple(r) for r in planned] == [("staff:c-7", "in_app", "scheduled")]
    done = {"callback_id": callback, "customer_id": customer}
    await apply(notifications, consumers.on_callback_done, CALLBACK_DONE, done, pid)
    async with notifications.pool.acquire() as conn:
        assert await conn.fetchval("SELECT status FROM reminders WHERE offset_label = $1", callback) == "cancelled"


async def test_a_call_back_moved_at_a_departure_reminds_the_heir_only_r7(notifications, settings) -> None:
    pid, customer, callback = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    due = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    data = {"callback_id": callback, "customer_id": customer, "consultant_id": "c-leaving", "due_at": due}
    await apply(notifications, consumers.on_callback_scheduled, CALLBACK_SCHEDULED, data, pid)
    moved = data | {"consultant_id": "c-heir"}  # leads announces the call-back again, naming the heir (issue 21)
    await apply(notifications, consumers.on_callback_scheduled, CALLBACK_SCHEDULED, moved, pid)
    async with notifications.pool.acquire() as conn:
        planned = await conn.fetch(
            "SELECT recipient, status FROM reminders WHERE offset_label = $1 ORDER BY recipient", callback
        )
    assert [tuple(r) for r in planned] == [("staff:c-heir", "scheduled"), ("staff:c-leaving", "cancelled")]


async def test_both_sides_of_a_referral_hear_of_their_reward_r34(notifications, settings) -> None:
    pid, referrer, buyer = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    ids = {"referral_id": str(uuid.uuid4()), "referrer_customer_id": referrer}
    data = ids | {"customer_id": buyer, "reward": "parking"}
    await apply(notifications, consumers.on_referral_rewarded, REFERRAL_REWARDED, data, pid)
    async with notifications.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT recipient FROM reminders WHERE kind = 'referral_reward' AND project_id = $1", uuid.UUID(pid)
        )
    assert sorted(r["recipient"] for r in rows) == sorted([f"customer:{referrer}", f"customer:{buyer}"])


async def test_the_morning_digest_reaches_the_managers_in_the_app_once_r13(notifications, settings) -> None:
    pid = str(uuid.uuid4())
    lines = [{"consultant_id": "c-a", "consultant_name": "A", "followups": 2, "callbacks": 0, "oldest_due_at": None}]
    data = {"project_id": pid, "day": "2031-03-03", "overdue": 2, "consultants": lines}
    env = await apply(notifications, consumers.on_overdue_digest, OVERDUE_DIGEST, data, pid)
    async with notifications.pool.acquire() as conn, conn.transaction():  # the same event again: one reminder
        await consumers.on_overdue_digest(conn, env, OVERDUE_DIGEST.data_model.model_validate(env.data))
    async with notifications.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT recipient, channel FROM reminders WHERE kind = 'overdue_digest' AND project_id = $1", uuid.UUID(pid)
        )
    assert [tuple(r) for r in rows] == [(f"role:manager:{pid}", "in_app")]


async def test_an_owners_news_waits_for_the_time_leads_chose_out_of_quiet_hours_r33_r15(
    notifications, settings
) -> None:
    pid, owner = str(uuid.uuid4()), str(uuid.uuid4())
    night = datetime(2031, 5, 5, 22, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    data = {
        "customer_id": owner,
        "new_project_id": str(uuid.uuid4()),
        "new_project_name": "North",
        "send_at": night.isoformat(),
    }
    await apply(notifications, consumers.on_owner_news, OWNER_NEWS, data, pid)
    async with notifications.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT recipient, channel, send_at FROM reminders WHERE kind = 'project_news' AND customer_id = $1",
            uuid.UUID(owner),
        )
    assert (row["recipient"], row["channel"]) == (f"customer:{owner}", "sms")
    assert row["send_at"] == datetime(2031, 5, 6, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # after the quiet night
