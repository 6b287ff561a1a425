"""Issue 19 on real PostgreSQL: what webhooks keep at rest. A delivery's body (the resident's name and phone, R18) and
an endpoint's secrets rest sealed, older rows are sealed by the service, a replay by Idempotency-Key never shows a
secret again, and only an endpoint that received a hand-off may acknowledge it, with an unknown hand-off answered
exactly like a wrong signature."""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import orjson
import pytest

from services.notifications.webhooks import use_cases as webhooks
from shared.db.databases import service_dsn
from shared.db.migrate import migrate_service, service_migrations_dir
from shared.messaging.envelope import new_envelope
from shared.messaging.topics import HANDOVER_COMPLETED, PROPERTY_HANDOFF
from shared.tools.pm_receiver import signed_headers
from tests.support.apps import apply_event
from tests.support.polling import async_wait_for
from tests.support.webhooks import SwitchableResolver, isolated_notifications, manager_headers

NAME, PHONE = "钱多多", "13912345678"


@pytest.fixture(scope="module")
async def notifications(settings):
    async with isolated_notifications(settings, SwitchableResolver(), allow_private=True) as svc:
        yield svc


def _handoff(unit_id: str | None = None) -> dict:
    return {
        "handoff_id": str(uuid.uuid4()),
        "unit_id": unit_id or str(uuid.uuid4()),
        "project": {"code": "P"},
        "unit": {"building": "1", "number": "101"},
        "resident": {"name": NAME, "phone": f"+86{PHONE}"},
        "handed_over_at": datetime.now(UTC).isoformat(),
    }


async def _register(svc, settings, pid: str, url: str, events: list[str], key: str | None = None) -> dict:
    headers = manager_headers(settings, pid) | ({"Idempotency-Key": key} if key else {})
    r = await svc.client.post("/v1/webhooks", headers=headers, json={"project_id": pid, "url": url, "events": events})
    assert r.status_code == 201, r.text
    return r.json()


async def _found(conn: asyncpg.Connection, table: str, column: str, needle: str) -> int:
    """Rows of `table` whose `column` holds `needle` in clear (bytea searched as bytes, anything else as text)."""
    kind = await conn.fetchval(
        "SELECT data_type FROM information_schema.columns WHERE table_name = $1 AND column_name = $2", table, column
    )
    test = "position($1::bytea in {c}) > 0" if kind == "bytea" else "strpos({c}::text, $1::text) > 0"
    value = needle.encode() if kind == "bytea" else needle
    return await conn.fetchval(f"SELECT count(*) FROM {table} WHERE " + test.format(c=column), value)


async def test_a_delivery_rests_sealed_and_reaches_the_receiver_in_clear_r18(notifications, settings, receiver) -> None:
    pid = str(uuid.uuid4())
    hook = await _register(notifications, settings, pid, receiver.url(), [PROPERTY_HANDOFF.name])
    receiver.secrets.append(hook["secret"])
    env = await apply_event(notifications, webhooks.on_handoff, PROPERTY_HANDOFF, _handoff(), pid)
    async with notifications.pool.acquire() as conn:
        assert await _found(conn, "webhook_deliveries", "body", NAME) == 0
        assert await _found(conn, "webhook_deliveries", "body", PHONE) == 0
    await async_wait_for(lambda: receiver.delivered(str(env.id)), timeout=15, what="the delivery")
    [got] = receiver.delivered(str(env.id))
    assert got["event"]["data"]["resident"] == {"name": NAME, "phone": f"+86{PHONE}"}
    assert got["verified_with"] == [hook["secret"]]


async def test_a_webhook_secret_rests_sealed_also_after_a_rotation(notifications, settings, receiver) -> None:
    pid = str(uuid.uuid4())
    hook = await _register(notifications, settings, pid, receiver.url(), [PROPERTY_HANDOFF.name])
    r = await notifications.client.post(
        f"/v1/webhooks/{hook['id']}/rotate-secret", headers=manager_headers(settings, pid)
    )
    assert r.status_code == 200
    async with notifications.pool.acquire() as conn:
        for secret in (hook["secret"], r.json()["secret"]):
            for column in ("secret", "previous_secret"):
                assert await _found(conn, "webhook_endpoints", column, secret) == 0
                assert await _found(conn, "webhook_endpoints", column, secret.removeprefix("whsec_")) == 0


async def test_a_retried_registration_answers_the_endpoint_but_never_its_secret_again(
    notifications, settings, receiver
) -> None:
    pid, key = str(uuid.uuid4()), f"register-{uuid.uuid4()}"
    first = await _register(notifications, settings, pid, receiver.url(), [PROPERTY_HANDOFF.name], key)
    again = await notifications.client.post(
        "/v1/webhooks",
        headers=manager_headers(settings, pid) | {"Idempotency-Key": key},
        json={"project_id": pid, "url": receiver.url(), "events": [PROPERTY_HANDOFF.name]},
    )
    assert again.status_code == 201 and again.headers["idempotent-replay"] == "true"
    assert again.json() == {**first, "secret": None, "withheld": ["secret"]}
    assert first["secret"].startswith("whsec_") and first["withheld"] == []
    rotate = f"/v1/webhooks/{first['id']}/rotate-secret"
    headers = manager_headers(settings, pid) | {"Idempotency-Key": f"rotate-{uuid.uuid4()}"}
    rotated, replayed = [await notifications.client.post(rotate, headers=headers) for _ in range(2)]
    assert rotated.json()["secret"].startswith("whsec_")
    assert replayed.json() == {**rotated.json(), "secret": None, "withheld": ["secret"]}
    async with notifications.pool.acquire() as conn:
        for secret in (first["secret"], rotated.json()["secret"]):
            assert await _found(conn, "idempotency_keys", "body", secret.removeprefix("whsec_")) == 0
        assert await conn.fetchval("SELECT count(*) FROM webhook_endpoints WHERE project_id = $1", uuid.UUID(pid)) == 1


async def test_rows_left_in_clear_by_the_release_before_are_sealed_and_still_delivered_r18(
    notifications, settings, receiver
) -> None:
    pid, endpoint, secret = str(uuid.uuid4()), uuid.uuid4(), webhooks.new_secret()
    env = new_envelope("handoff", _handoff(), producer="leads", project_id=pid)
    async with notifications.pool.acquire() as conn:  # as the release before left them: all in clear
        await conn.execute(
            "INSERT INTO webhook_endpoints (id, project_id, url, events, secret, created_by)"
            " VALUES ($1, $2, $3, $4, $5, 'm-1')",
            endpoint,
            uuid.UUID(pid),
            receiver.url(),
            [PROPERTY_HANDOFF.name],
            secret.encode(),
        )
        await conn.execute(
            "INSERT INTO webhook_deliveries (endpoint_id, event_id, topic, order_key, occurred_at, body, status)"
            " VALUES ($1, $2, $3, 'unit', now(), $4, 'failed')",
            endpoint,
            env.id,
            PROPERTY_HANDOFF.name,
            env.to_bytes(),
        )
        await webhooks.seal_legacy(conn)  # the service's sealing step (it also runs by itself in the background)
        assert await _found(conn, "webhook_deliveries", "body", NAME) == 0
        assert await _found(conn, "webhook_endpoints", "secret", secret) == 0
        assert await webhooks.seal_legacy(conn) == 0
    receiver.secrets.append(secret)
    r = await notifications.client.post(
        f"/v1/webhooks/{endpoint}/deliveries/{env.id}/retry", headers=manager_headers(settings, pid)
    )
    assert r.status_code == 200
    await async_wait_for(lambda: receiver.delivered(str(env.id)), timeout=15, what="the sealed row delivered")
    [got] = receiver.delivered(str(env.id))
    assert got["verified_with"] == [secret] and got["event"]["data"]["resident"]["name"] == NAME


async def test_the_upgrade_keeps_every_endpoint_and_answer_but_no_secret_in_a_stored_answer(
    settings, tmp_path: Path
) -> None:
    """Migration 004 on a database the release before filled: secrets and bodies still read, the hand-off of each
    delivery known, and stored idempotent answers stripped of their secret."""
    old = settings.model_copy(update={"db_prefix": f"{settings.db_prefix}u{uuid.uuid4().hex[:6]}_"})
    for path in sorted(service_migrations_dir("notifications").glob("00[123]_*.sql")):
        shutil.copy(path, tmp_path / path.name)
    await migrate_service(old, "notifications", tmp_path)
    conn = await asyncpg.connect(service_dsn(old, "notifications"))
    try:
        handoff_id, secret = await _fill_like_the_release_before(conn)
        await migrate_service(old, "notifications")
        assert await conn.fetchval("SELECT handoff_id FROM webhook_deliveries") == handoff_id
        [row] = await conn.fetch("SELECT secret FROM webhook_endpoints")
        assert webhooks.secret_of(row["secret"]) == secret
        answer = orjson.loads(await conn.fetchval("SELECT body FROM idempotency_keys"))
        assert answer["secret"] is None and answer["withheld"] == ["secret"] and answer["id"]
        assert await webhooks.seal_legacy(conn) == 2 and await _found(conn, "webhook_endpoints", "secret", secret) == 0
    finally:
        await conn.close()


async def _fill_like_the_release_before(conn: asyncpg.Connection) -> tuple[str, str]:
    endpoint, secret, data = uuid.uuid4(), webhooks.new_secret(), _handoff()
    await conn.execute(
        "INSERT INTO webhook_endpoints (id, project_id, url, events, secret, created_by)"
        " VALUES ($1, $2, 'http://pm.example/x', $3, $4, 'm-1')",
        endpoint,
        uuid.uuid4(),
        [PROPERTY_HANDOFF.name],
        secret,
    )
    body = orjson.dumps({"id": str(uuid.uuid4()), "type": "handoff", "data": data})
    await conn.execute(
        "INSERT INTO webhook_deliveries (endpoint_id, event_id, topic, order_key, occurred_at, body)"
        " VALUES ($1, $2, $3, $4, now(), $5)",
        endpoint,
        uuid.uuid4(),
        PROPERTY_HANDOFF.name,
        data["unit_id"],
        body,
    )
    answer = orjson.dumps({"id": str(endpoint), "secret": secret, "url": "http://pm.example/x", "events": []})
    await conn.execute(
        "INSERT INTO idempotency_keys (key, principal, method, path, status, body, request_hash)"
        " VALUES ('k', 'm-1', 'POST', '/v1/webhooks', 201, $1, 'h')",
        answer,
    )
    return data["handoff_id"], secret


async def test_only_an_endpoint_that_received_the_handoff_may_acknowledge_it(notifications, settings, receiver) -> None:
    pid = str(uuid.uuid4())
    takes_it = await _register(notifications, settings, pid, receiver.url(), [PROPERTY_HANDOFF.name])
    other = await _register(notifications, settings, pid, receiver.url(), [HANDOVER_COMPLETED.name])
    data = _handoff()
    await apply_event(notifications, webhooks.on_handoff, PROPERTY_HANDOFF, data, pid)
    url, body = f"/v1/handoffs/{data['handoff_id']}/acknowledgement", b'{"resident_account_id": "PM-9"}'
    refused = await notifications.client.post(url, content=body, headers=signed_headers(other["secret"], body))
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_signature"
    ok = await notifications.client.post(url, content=body, headers=signed_headers(takes_it["secret"], body))
    assert ok.status_code == 200 and ok.json() == {"handoff_id": data["handoff_id"], "acknowledged": True}


async def test_an_unknown_handoff_answers_exactly_like_a_wrong_signature(notifications, settings, receiver) -> None:
    pid = str(uuid.uuid4())
    hook = await _register(notifications, settings, pid, receiver.url(), [PROPERTY_HANDOFF.name])
    data = _handoff()
    await apply_event(notifications, webhooks.on_handoff, PROPERTY_HANDOFF, data, pid)
    body = b'{"resident_account_id": "PM-9"}'
    wrong = await notifications.client.post(
        f"/v1/handoffs/{data['handoff_id']}/acknowledgement",
        content=body,
        headers=signed_headers(webhooks.new_secret(), body),
    )
    unknown = await notifications.client.post(
        f"/v1/handoffs/{uuid.uuid4()}/acknowledgement", content=body, headers=signed_headers(hook["secret"], body)
    )
    unsigned = await notifications.client.post(
        f"/v1/handoffs/{uuid.uuid4()}/acknowledgement", content=body, headers={"content-type": "application/json"}
    )
    assert wrong.status_code == unknown.status_code == unsigned.status_code == 401
    assert wrong.content == unknown.content == unsigned.content
