"""Issue 12 on real PostgreSQL with a real HTTP receiver on the loopback: deliveries signed per Standard Webhooks
(verified with the standardwebhooks library on the receiving side), retries with the same id, a receiver down for
a while, 410, a slow receiver, secret rotation, duplicate events, acknowledgements, unsafe URLs."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import orjson
import pytest

from services.notifications import consumers
from services.notifications.app import build_spec
from services.notifications.webhooks import use_cases as webhooks
from shared.messaging.envelope import new_envelope
from shared.messaging.topics import HANDOVER_COMPLETED, PROPERTY_HANDOFF
from shared.tools.pm_receiver import signed_headers
from tests.support.apps import running_app
from tests.support.polling import async_wait_for
from tests.support.webhooks import Receiver, handoff_data, manager_headers


async def _true(value: bool) -> bool:
    return value


@pytest.fixture(scope="module")
async def notifications(settings):
    tuned = settings.model_copy(update={"webhook_allow_private": True, "webhook_timeout_seconds": 1.0})
    async with running_app(build_spec(), tuned) as svc:
        yield svc


async def endpoint(notifications, settings, receiver: Receiver, pid: str, events: list[str] | None = None) -> dict:
    r = await notifications.client.post(
        "/v1/webhooks",
        headers=manager_headers(settings, pid),
        json={
            "project_id": pid,
            "url": receiver.url(),
            "events": events or [PROPERTY_HANDOFF.name, HANDOVER_COMPLETED.name],
        },
    )
    assert r.status_code == 201, r.text
    receiver.secrets.append(r.json()["secret"])
    return r.json()


def _handover(pid: str, unit_id: str) -> dict:
    return {
        "sale_id": str(uuid.uuid4()),
        "unit_id": unit_id,
        "customer_id": str(uuid.uuid4()),
        "handed_over_at": datetime.now(UTC).isoformat(),
    }


async def publish(notifications, handler, topic, data: dict, pid: str, env=None, conn=None):
    """Hand the service an event as its inbox would (the same envelope again is a duplicate delivery); in `conn`'s
    transaction when given, else in one of its own."""
    env = env or new_envelope(
        topic.event_type, topic.data_model.model_validate(data).model_dump(mode="json"), producer="test", project_id=pid
    )
    if conn is not None:
        await handler(conn, env, topic.data_model.model_validate(env.data))
        return env
    async with notifications.pool.acquire() as conn, conn.transaction():
        await handler(conn, env, topic.data_model.model_validate(env.data))
    return env


async def now_due(notifications) -> None:
    """Time passes: every pending delivery is due now (instead of waiting 5 s, 5 min, …)."""
    async with notifications.pool.acquire() as conn:
        await conn.execute("UPDATE webhook_deliveries SET next_attempt_at = now() WHERE status = 'pending'")


async def test_a_unit_arrives_signed_and_in_order_even_when_its_handoff_is_consumed_first(
    notifications, settings, receiver
) -> None:
    pid, unit = str(uuid.uuid4()), str(uuid.uuid4())
    await endpoint(notifications, settings, receiver, pid)
    handoff = await publish(notifications, webhooks.on_handoff, PROPERTY_HANDOFF, handoff_data(unit), pid)
    await asyncio.sleep(1.5)  # the worker runs twice a second: the hand-off must wait for its handover
    assert receiver.got == []
    handover = await publish(
        notifications, consumers.on_handover_completed, HANDOVER_COMPLETED, _handover(pid, unit), pid
    )
    await async_wait_for(lambda: _true(len(receiver.got) == 2), timeout=15, what="both deliveries")
    assert [g["id"] for g in receiver.got] == [str(handover.id), str(handoff.id)]
    assert all(g["verified_with"] == receiver.secrets for g in receiver.got)
    assert receiver.got[1]["event"]["data"]["handoff_id"] == handoff.data["handoff_id"]


async def test_a_500_is_retried_with_the_same_id_and_a_duplicate_event_delivers_once(
    notifications, settings, receiver
) -> None:
    pid, unit = str(uuid.uuid4()), str(uuid.uuid4())
    hook = await endpoint(notifications, settings, receiver, pid, [HANDOVER_COMPLETED.name])
    receiver.answers = [500]
    env = await publish(notifications, consumers.on_handover_completed, HANDOVER_COMPLETED, _handover(pid, unit), pid)
    await publish(notifications, consumers.on_handover_completed, HANDOVER_COMPLETED, {}, pid, env=env)  # duplicate
    await async_wait_for(lambda: _true(len(receiver.got) == 1), timeout=15, what="the first attempt")
    await now_due(notifications)
    await async_wait_for(lambda: _true(len(receiver.got) == 2), timeout=15, what="the retry")
    assert {g["id"] for g in receiver.got} == {str(env.id)}
    log: list[dict] = []

    async def recorded() -> bool:  # the worker records an attempt once the receiver's answer is back, not before
        url = f"/v1/webhooks/{hook['id']}/deliveries"
        log[:] = (await notifications.client.get(url, headers=manager_headers(settings, pid))).json()
        return len(log) == 2

    await async_wait_for(recorded, timeout=15, what="the retry's record")
    assert [a["status_code"] for a in log] == [500, 200] and log[-1]["status"] == "delivered"


async def test_a_receiver_down_for_a_while_gets_every_handoff_once(notifications, settings, receiver) -> None:
    pid = str(uuid.uuid4())
    hook = await endpoint(notifications, settings, receiver, pid, [PROPERTY_HANDOFF.name])
    await receiver.stop()
    events = [
        await publish(notifications, webhooks.on_handoff, PROPERTY_HANDOFF, handoff_data(str(uuid.uuid4())), pid)
        for _ in range(3)
    ]

    async def all_failed_once():
        async with notifications.pool.acquire() as conn:
            return (
                await conn.fetchval(
                    "SELECT count(*) FROM webhook_attempts WHERE endpoint_id = $1", uuid.UUID(hook["id"])
                )
                >= 3
            )

    await async_wait_for(all_failed_once, timeout=15, what="three failed attempts")
    await receiver.start()
    await now_due(notifications)
    await async_wait_for(lambda: _true(len(receiver.got) == 3), timeout=15, what="three deliveries")
    assert sorted(g["id"] for g in receiver.got) == sorted(str(e.id) for e in events)


async def test_410_disables_the_endpoint(notifications, settings, receiver) -> None:
    pid = str(uuid.uuid4())
    hook = await endpoint(notifications, settings, receiver, pid, [PROPERTY_HANDOFF.name])
    receiver.answers = [410]
    await publish(notifications, webhooks.on_handoff, PROPERTY_HANDOFF, handoff_data(str(uuid.uuid4())), pid)
    await async_wait_for(lambda: _true(len(receiver.got) == 1), timeout=15, what="the attempt")
    await publish(notifications, webhooks.on_handoff, PROPERTY_HANDOFF, handoff_data(str(uuid.uuid4())), pid)
    await now_due(notifications)
    await asyncio.sleep(1.5)
    assert len(receiver.got) == 1
    async with notifications.pool.acquire() as conn:
        assert await conn.fetchval("SELECT disabled_at FROM webhook_endpoints WHERE id = $1", uuid.UUID(hook["id"]))


async def test_a_slow_receiver_times_out_and_is_tried_again(notifications, settings, receiver) -> None:
    pid = str(uuid.uuid4())
    hook = await endpoint(notifications, settings, receiver, pid, [PROPERTY_HANDOFF.name])
    receiver.slow_once = True
    env = await publish(notifications, webhooks.on_handoff, PROPERTY_HANDOFF, handoff_data(str(uuid.uuid4())), pid)

    async def attempts() -> list:
        async with notifications.pool.acquire() as conn:
            return await conn.fetch(
                "SELECT status_code, error FROM webhook_attempts WHERE endpoint_id = $1 ORDER BY id",
                uuid.UUID(hook["id"]),
            )

    await async_wait_for(attempts, timeout=15, what="the timed-out attempt")
    first = (await attempts())[0]
    assert first["status_code"] is None and "Timeout" in first["error"]
    await asyncio.sleep(3)  # the slow answer finishes on the receiver's side
    await now_due(notifications)
    await async_wait_for(
        lambda: _true(any(g["id"] == str(env.id) for g in receiver.got[1:])), timeout=15, what="the retry"
    )


async def test_after_a_rotation_deliveries_carry_both_signatures(notifications, settings, receiver) -> None:
    pid = str(uuid.uuid4())
    hook = await endpoint(notifications, settings, receiver, pid, [PROPERTY_HANDOFF.name])
    rotated = await notifications.client.post(
        f"/v1/webhooks/{hook['id']}/rotate-secret", headers=manager_headers(settings, pid)
    )
    receiver.secrets.append(rotated.json()["secret"])
    await publish(notifications, webhooks.on_handoff, PROPERTY_HANDOFF, handoff_data(str(uuid.uuid4())), pid)
    await async_wait_for(lambda: _true(len(receiver.got) == 1), timeout=15, what="the delivery")
    assert len(receiver.got[0]["signatures"]) == 2 and receiver.got[0]["verified_with"] == receiver.secrets


async def test_an_acknowledgement_must_be_signed_with_the_endpoints_secret(notifications, settings, receiver) -> None:
    pid = str(uuid.uuid4())
    hook = await endpoint(notifications, settings, receiver, pid, [PROPERTY_HANDOFF.name])
    data = handoff_data(str(uuid.uuid4()))
    await publish(notifications, webhooks.on_handoff, PROPERTY_HANDOFF, data, pid)
    url, body = f"/v1/handoffs/{data['handoff_id']}/acknowledgement", b'{"resident_account_id": "PM-7"}'
    unsigned = await notifications.client.post(url, content=body, headers={"content-type": "application/json"})
    wrong = await notifications.client.post(url, content=body, headers=signed_headers("whsec_" + "A" * 32, body))
    assert unsigned.status_code == wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_signature"
    ok = await notifications.client.post(url, content=body, headers=signed_headers(hook["secret"], body))
    assert ok.status_code == 200 and ok.json()["acknowledged"] is True
    async with notifications.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT payload FROM outbox WHERE topic = 'estate.property.handoff-acknowledged.v1' AND key = $1",
            data["unit_id"],
        )
    assert [orjson.loads(bytes(r["payload"]))["data"]["resident_account_id"] for r in rows] == ["PM-7"]


@pytest.mark.parametrize(
    "url, code",
    [
        ("ftp://example.com/x", "unsafe_url"),
        ("http://127.0.0.1:9/x", "unsafe_url"),
        ("http://10.1.2.3/x", "unsafe_url"),
        ("http://169.254.169.254/x", "unsafe_url"),
    ],
)
async def test_unsafe_urls_are_refused_when_private_targets_are_not_allowed(settings, url, code) -> None:
    async with running_app(build_spec(), settings.model_copy(update={"webhook_allow_private": False})) as svc:
        pid = str(uuid.uuid4())
        r = await svc.client.post(
            "/v1/webhooks",
            headers=manager_headers(settings, pid),
            json={"project_id": pid, "url": url, "events": [PROPERTY_HANDOFF.name]},
        )
    assert r.status_code == 422 and r.json()["error"]["code"] == code


async def test_a_handoff_unacknowledged_for_three_days_is_reported_to_the_manager_once(notifications) -> None:
    pid, data = str(uuid.uuid4()), handoff_data(str(uuid.uuid4()))
    async with notifications.pool.acquire() as conn:  # isolate this test from other modules' unanswered hand-offs
        await conn.execute("UPDATE handoffs SET reported_unacked = true WHERE acknowledged_at IS NULL")
    await publish(notifications, webhooks.on_handoff, PROPERTY_HANDOFF, data, pid)
    later = datetime.now(UTC) + timedelta(days=3, minutes=1)
    async with notifications.pool.acquire() as conn:
        assert await webhooks.report_unacknowledged(conn, now=later - timedelta(minutes=2)) == 0  # not yet 3 days
        assert await webhooks.report_unacknowledged(conn, now=later) >= 1
        assert await webhooks.report_unacknowledged(conn, now=later) == 0
        row = await conn.fetchrow(
            "SELECT recipient, kind FROM reminders WHERE source_event = $1", f"handoff:{data['handoff_id']}"
        )
    assert (row["recipient"], row["kind"]) == (f"role:manager:{pid}", "handoff_unacknowledged")


async def test_two_workers_never_claim_the_same_delivery(notifications, settings) -> None:
    pid = str(uuid.uuid4())
    async with notifications.pool.acquire() as conn:
        hook = await webhooks.register_endpoint(
            conn, uuid.UUID(pid), "http://127.0.0.1:9/none", [PROPERTY_HANDOFF.name], None, "m-1", allow_private=True
        )
        await conn.execute("UPDATE webhook_endpoints SET disabled_at = now() WHERE id <> $1", uuid.UUID(hook["id"]))
    # The twelve are out of the running app's deliverer's reach from their first commit (not due for an hour).
    # Were they due for a moment, it would claim them, and a settle of its that meets a row changed under it keeps
    # that row locked until its transaction ends: SKIP LOCKED then rightly passes the row by in both claims below.
    async with notifications.pool.acquire() as conn, conn.transaction():
        for _ in range(12):
            data = handoff_data(str(uuid.uuid4()))
            await publish(notifications, webhooks.on_handoff, PROPERTY_HANDOFF, data, pid, conn=conn)
        await conn.execute(
            "UPDATE webhook_deliveries SET next_attempt_at = now() + interval '1 hour' WHERE endpoint_id = $1",
            uuid.UUID(hook["id"]),
        )
    later = datetime.now(UTC) + timedelta(hours=2)
    async with notifications.pool.acquire() as one, notifications.pool.acquire() as two:
        claims = await asyncio.gather(webhooks.claim(one, 8, now=later), webhooks.claim(two, 8, now=later))
    seqs = [r["seq"] for batch in claims for r in batch]
    async with notifications.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT seq, status, next_attempt_at, claimed_until, attempts, order_key FROM webhook_deliveries"
            " WHERE endpoint_id = $1",
            uuid.UUID(hook["id"]),
        )
    assert len(seqs) == len(set(seqs)) == 12, (sorted(seqs), [len(b) for b in claims], [dict(r) for r in rows])
