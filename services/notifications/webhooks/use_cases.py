"""Webhook use cases: endpoints, deliveries recorded with the event, sending, acknowledgements."""

from __future__ import annotations

import asyncio
import base64
import secrets as random_secrets
import socket
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import orjson
from standardwebhooks import Webhook

from services.notifications.webhooks import store
from services.notifications.webhooks.domain import (
    ROTATION_OVERLAP,
    SECRET_PREFIX,
    check_addresses,
    check_events,
    check_url,
    live_secrets,
    next_attempt,
    outcome,
    signature,
)
from shared import catalogue as topics
from shared import metrics
from shared.catalogue import HandoffData
from shared.clock import now_utc
from shared.domain import DomainError, NotFound
from shared.envelope import Envelope
from shared.outbox import add_event
from shared.ownership import in_project

HANDOFF_TOPICS = frozenset({topics.PROPERTY_HANDOFF.name, topics.HANDOVER_COMPLETED.name})
UNACKNOWLEDGED_AFTER = timedelta(days=3)
LEASE_SECONDS = 60.0


class BadSignature(DomainError):
    code = "invalid_signature"
    status = 401


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(random_secrets.token_bytes(24)).decode()


async def resolve(host: str) -> list[str]:
    """The addresses a host name resolves to (getaddrinfo off the event loop)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise DomainError(f"{host} does not resolve", "unsafe_url") from None
    return sorted({str(info[4][0]) for info in infos})


async def register_endpoint(
    conn: asyncpg.Connection,
    project_id: uuid.UUID,
    url: str,
    events: list[str],
    description: str | None,
    by: str,
    allow_private: bool,
) -> dict[str, Any]:
    """A property company's endpoint; the secret is shown once."""
    check_addresses(await resolve(check_url(url)), allow_private)
    chosen = check_events(events, HANDOFF_TOPICS)
    endpoint_id, secret = uuid.uuid4(), new_secret()
    await store.insert_endpoint(conn, endpoint_id, project_id, url, chosen, description, secret, by)
    return {"id": str(endpoint_id), "secret": secret, "url": url, "events": chosen}


async def rotate_secret(conn: asyncpg.Connection, endpoint_id: uuid.UUID) -> dict[str, Any]:
    """A new secret; for 24 h deliveries carry both signatures."""
    secret, until = new_secret(), now_utc() + ROTATION_OVERLAP
    await store.rotate(conn, endpoint_id, secret, until)
    return {"id": str(endpoint_id), "secret": secret, "previous_valid_until": until.isoformat()}


async def retry(conn: asyncpg.Connection, endpoint_id: uuid.UUID, event_id: uuid.UUID) -> dict[str, Any]:
    """Deliver again now."""
    if not await store.retry_now(conn, endpoint_id, event_id):
        raise NotFound("no delivery of this event to this endpoint")
    return {"endpoint_id": str(endpoint_id), "event_id": str(event_id), "status": "pending"}


async def record_deliveries(conn: asyncpg.Connection, env: Envelope, topic: topics.Topic, unit_id: str) -> int:
    """Inside the inbox transaction of the event: one durable delivery per subscribed endpoint."""
    if env.project_id is None:
        return 0
    body = env.to_bytes()
    endpoints = await store.subscribed(conn, uuid.UUID(env.project_id), topic.name)
    for endpoint in endpoints:
        await store.insert_delivery(conn, endpoint["id"], env.id, topic.name, unit_id, env.occurred_at, body)
    return len(endpoints)


async def on_handoff(conn: asyncpg.Connection, env: Envelope, data: HandoffData) -> None:
    """A hand-off to deliver, and to expect an acknowledgement for."""
    if env.project_id:
        await store.remember_handoff(conn, data.handoff_id, uuid.UUID(env.project_id), data.unit_id)
    await record_deliveries(conn, env, topics.PROPERTY_HANDOFF, data.unit_id)


async def next_delivery_due(conn: asyncpg.Connection) -> datetime | None:
    """When the deliverer next has something to send."""
    return await store.next_delivery_due(conn)


async def claim(conn: asyncpg.Connection, batch: int, now: datetime | None = None) -> list[asyncpg.Record]:
    """Due deliveries, in order per unit, leased to this worker."""
    return await store.claim_due(
        conn, now or now_utc(), batch, LEASE_SECONDS, topics.PROPERTY_HANDOFF.name, topics.HANDOVER_COMPLETED.name
    )


async def send(client: httpx.AsyncClient, row: Any, now: datetime) -> tuple[int | None, int, str | None]:
    """POST the envelope, signed per Standard Webhooks; (status code, milliseconds, error)."""
    body = bytes(row["body"]).decode()
    secrets = live_secrets(row["secret"], row["previous_secret"], row["previous_until"], now)
    headers = {
        "webhook-id": str(row["event_id"]),
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature(secrets, str(row["event_id"]), now, body),
        "content-type": "application/json",
        "user-agent": "estate-webhooks/1",
    }
    began = time.perf_counter()
    try:
        answer = await client.post(row["url"], content=body, headers=headers)
        status, error = answer.status_code, None
    except httpx.HTTPError as exc:
        status, error = None, f"{type(exc).__name__}: {exc}"[:300]
    seconds = time.perf_counter() - began
    metrics.WEBHOOK_ATTEMPT_SECONDS.observe(seconds)
    return status, int(seconds * 1000), error


async def settle(
    conn: asyncpg.Connection, row: Any, status: int | None, ms: int, error: str | None, now: datetime
) -> str:
    """Record the attempt and decide: delivered, retry later, failed, or the endpoint disabled (410)."""
    result, attempts = outcome(status), row["attempts"] + 1
    async with conn.transaction():
        await store.record_attempt(conn, row, status, ms, error)
        if result == "delivered":
            await store.settle(conn, row["seq"], "delivered", attempts, None)
        elif result == "gone":
            await store.disable(conn, row["endpoint_id"])
            await store.settle(conn, row["seq"], "failed", attempts, None)
        else:
            later = next_attempt(attempts, now)
            await store.settle(conn, row["seq"], "pending" if later else "failed", attempts, later)
            result = "retry" if later else "failed"
    metrics.WEBHOOK_DELIVERIES.labels(str(row["endpoint_id"]), result).inc()
    return result


async def acknowledge(
    conn: asyncpg.Connection, handoff_id: str, raw_body: bytes, headers: dict[str, str], account: str | None
) -> dict[str, Any]:
    """The property company says "received", signed with its endpoint's secret; handoff-acknowledged follows."""
    async with conn.transaction():
        row = await store.handoff(conn, handoff_id, lock=True)
        if row is None:
            raise NotFound("no such hand-off")
        _verify(await store.endpoints_of_project(conn, row["project_id"]), raw_body, headers)
        if row["acknowledged_at"] is None:
            await store.acknowledge(conn, handoff_id, account)
            await add_event(
                conn,
                topics.HANDOFF_ACKNOWLEDGED,
                {"handoff_id": handoff_id, "unit_id": row["unit_id"], "resident_account_id": account},
                project_id=str(row["project_id"]),
            )
    return {"handoff_id": handoff_id, "acknowledged": True}


def _verify(endpoints: list[Any], raw_body: bytes, headers: dict[str, str]) -> None:
    """Valid if signed with the secret (or the rotated-out one, within 24 h) of an endpoint of the project."""
    now = now_utc()
    for endpoint in endpoints:
        for secret in live_secrets(endpoint["secret"], endpoint["previous_secret"], endpoint["previous_until"], now):
            try:
                Webhook(secret).verify(raw_body, headers, json_parse=False)
                return
            except Exception:
                continue
    raise BadSignature("the acknowledgement is not signed with this project's webhook secret")


async def report_unacknowledged(conn: asyncpg.Connection, now: datetime | None = None) -> int:
    """A hand-off not acknowledged within 3 days is reported to the project's manager (once)."""
    from services.notifications import use_cases as reminders
    from services.notifications.domain import Planned

    now = now or now_utc()
    async with conn.transaction():
        rows = await store.unacknowledged(conn, now - UNACKNOWLEDGED_AFTER, 100)
        for row in rows:
            plan = Planned(
                "handoff_unacknowledged",
                "3d",
                now,
                f"role:manager:{row['project_id']}",
                "in_app",
                f"【交付】交付单 {row['handoff_id']}（单元 {row['unit_id']}）三天未获物业确认，请跟进。",
            )
            await reminders.schedule(
                conn,
                [plan],
                project_id=str(row["project_id"]),
                customer_id=None,
                sale_id=None,
                source_event=f"handoff:{row['handoff_id']}",
                now=now,
            )
            await store.mark_reported(conn, row["handoff_id"])
    return len(rows)


def envelope_json(row: Any) -> dict[str, Any]:
    return orjson.loads(bytes(row["body"]))


async def endpoint_in_reach(
    conn: asyncpg.Connection, endpoint_id: uuid.UUID, may_work_on: Callable[[str], None]
) -> uuid.UUID:
    """The endpoint's id, once its project is checked."""
    return in_project(await store.endpoint(conn, endpoint_id), "webhook", may_work_on)["id"]


async def attempts_page(
    conn: asyncpg.Connection, endpoint_id: uuid.UUID, status: str | None, after: int | None, limit: int
) -> list[Any]:
    """The delivery log of one endpoint: every attempt with its outcome."""
    return list(await store.attempts_page(conn, endpoint_id, status, after, limit))
