"""Webhook use cases: endpoints, deliveries recorded with the event, sending, acknowledgements. Secrets and bodies
rest sealed (R18, issue 19) with the platform's key (ESTATE_PII_KEY), as sealed outbox payloads do."""

from __future__ import annotations

import base64
import secrets as random_secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from standardwebhooks import Webhook

from services.notifications.webhooks import store
from services.notifications.webhooks.domain import (
    ROTATION_OVERLAP,
    SECRET_PREFIX,
    UnsafeUrl,
    check_events,
    check_url,
    live_secrets,
    next_attempt,
    outcome,
    signature,
)
from services.notifications.webhooks.sending import Attempt, Resolver, Sender, pin, system_resolver
from shared.db.rows import json_view
from shared.http.auth import Principal
from shared.kernel.clock import now_utc
from shared.kernel.errors import DomainError, NotFound
from shared.messaging import topics
from shared.messaging.envelope import Envelope
from shared.messaging.outbox import add_event, seal, unseal
from shared.messaging.topics import HandoffData
from shared.runtime import metrics
from shared.runtime.logs import log
from shared.trust.ownership import in_project

HANDOFF_TOPICS = frozenset({topics.PROPERTY_HANDOFF.name, topics.HANDOVER_COMPLETED.name})
UNACKNOWLEDGED_AFTER = timedelta(days=3)
LEASE_SECONDS = 60.0


class BadSignature(DomainError):
    code = "invalid_signature"
    status = 401


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(random_secrets.token_bytes(24)).decode()


def sealed(secret: str) -> bytes:
    return seal(secret.encode())


def secret_of(stored: bytes | None) -> str | None:
    """A secret as it rests (sealed, or in clear in a row of the release before) → the secret."""
    return None if stored is None else unseal(stored).decode()


async def register_endpoint(
    conn: asyncpg.Connection,
    project_id: uuid.UUID,
    url: str,
    events: list[str],
    description: str | None,
    by: str,
    allow_private: bool,
    resolver: Resolver = system_resolver,
) -> dict[str, Any]:
    """A property company's endpoint (its host checked now, and again at every attempt); the secret is shown once."""
    check_url(url)
    try:
        await pin(url, resolver, allow_private)
    except LookupError:
        raise UnsafeUrl("the endpoint's host does not resolve") from None
    chosen = check_events(events, HANDOFF_TOPICS)
    endpoint_id, secret = uuid.uuid4(), new_secret()
    await store.insert_endpoint(conn, endpoint_id, project_id, url, chosen, description, sealed(secret), by)
    return {"id": str(endpoint_id), "secret": secret, "url": url, "events": chosen}


async def rotate_secret(conn: asyncpg.Connection, endpoint_id: uuid.UUID, who: Principal) -> dict[str, Any]:
    """A new secret for an endpoint of the caller's projects; for 24 h deliveries carry both signatures."""
    endpoint_id = await endpoint_in_reach(conn, endpoint_id, who.require_project)
    secret, until = new_secret(), now_utc() + ROTATION_OVERLAP
    await store.rotate(conn, endpoint_id, sealed(secret), until)
    return {"id": str(endpoint_id), "secret": secret, "previous_valid_until": until.isoformat()}


async def retry(
    conn: asyncpg.Connection, endpoint_id: uuid.UUID, event_id: uuid.UUID, who: Principal
) -> dict[str, Any]:
    """Deliver an event to an endpoint of the caller's projects again, now (the same webhook-id)."""
    endpoint_id = await endpoint_in_reach(conn, endpoint_id, who.require_project)
    if not await store.retry_now(conn, endpoint_id, event_id):
        raise NotFound("no delivery of this event to this endpoint")
    return {"endpoint_id": str(endpoint_id), "event_id": str(event_id), "status": "pending"}


async def record_deliveries(
    conn: asyncpg.Connection, env: Envelope, topic: topics.Topic, unit_id: str, handoff_id: str | None = None
) -> int:
    """Inside the inbox transaction of the event: one durable delivery per subscribed endpoint, its body sealed."""
    if env.project_id is None:
        return 0
    endpoints = await store.subscribed(conn, uuid.UUID(env.project_id), topic.name)
    for endpoint in endpoints:  # sealed once per copy: no two rows share a token
        event = (env.id, topic.name, unit_id, env.occurred_at)
        await store.insert_delivery(conn, endpoint["id"], event, seal(env.to_bytes()), handoff_id)
    return len(endpoints)


async def on_handoff(conn: asyncpg.Connection, env: Envelope, data: HandoffData) -> None:
    """A hand-off to deliver, and to expect an acknowledgement for."""
    if env.project_id:
        await store.remember_handoff(conn, data.handoff_id, uuid.UUID(env.project_id), data.unit_id)
    await record_deliveries(conn, env, topics.PROPERTY_HANDOFF, data.unit_id, data.handoff_id)


async def next_delivery_due(conn: asyncpg.Connection) -> datetime | None:
    """When the deliverer next has something to send."""
    return await store.next_delivery_due(conn)


async def claim(conn: asyncpg.Connection, batch: int, now: datetime | None = None) -> list[asyncpg.Record]:
    """Due deliveries, in order per unit, leased to this worker."""
    return await store.claim_due(
        conn, now or now_utc(), batch, LEASE_SECONDS, topics.PROPERTY_HANDOFF.name, topics.HANDOVER_COMPLETED.name
    )


def _secrets(endpoint: Any, now: datetime) -> list[str]:
    """The endpoint's live secrets, unsealed: the current one, and the previous one for 24 h after a rotation."""
    current, previous = secret_of(endpoint["secret"]), secret_of(endpoint["previous_secret"])
    return live_secrets(current or "", previous, endpoint["previous_until"], now)


async def send(sender: Sender, row: Any, now: datetime) -> Attempt:
    """POST the envelope (unsealed only now), signed per Standard Webhooks; the host checked again (issue 19)."""
    body = unseal(row["body"])
    headers = {
        "webhook-id": str(row["event_id"]),
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature(_secrets(row, now), str(row["event_id"]), now, body.decode()),
        "content-type": "application/json",
        "user-agent": "estate-webhooks/1",
    }
    return await sender.post(row["url"], body, headers)


async def settle(conn: asyncpg.Connection, row: Any, attempt: Attempt, now: datetime) -> str:
    """Record the attempt and decide: delivered, retry later, failed, or the endpoint disabled (410). An attempt
    refused on our side (`unsafe_url`) has no status: it is retried on the same schedule."""
    result, attempts = outcome(attempt.status_code), row["attempts"] + 1
    async with conn.transaction():
        await store.record_attempt(conn, row, attempt.status_code, attempt.ms, attempt.error)
        later = next_attempt(attempts, now) if result == "retry" else None
        if result == "gone":
            await store.disable(conn, row["endpoint_id"])
        status = {"delivered": "delivered", "gone": "failed"}.get(result, "pending" if later else "failed")
        if not await store.settle(conn, row["seq"], status, attempts, later, row["lease"]):
            log("webhook_lease_lost", endpoint_id=str(row["endpoint_id"]), event_id=str(row["event_id"]))
        result = result if result != "retry" else ("retry" if later else "failed")
    metrics.WEBHOOK_DELIVERIES.labels(str(row["endpoint_id"]), result).inc()
    return result


async def acknowledge(
    conn: asyncpg.Connection, handoff_id: str, raw_body: bytes, headers: dict[str, str], account: str | None
) -> dict[str, Any]:
    """The property company says "received", signed with the secret of an endpoint the hand-off was sent to; the
    signature is checked before anything else, so an unknown hand-off answers exactly like a wrong signature."""
    async with conn.transaction():
        _verify(await store.acknowledging_endpoints(conn, handoff_id), raw_body, headers)
        row = await store.handoff(conn, handoff_id, lock=True)
        if row is None:  # a delivery without its hand-off row: cannot happen (one transaction), answered alike
            raise BadSignature(_NOT_SIGNED)
        if row["acknowledged_at"] is None:
            await store.acknowledge(conn, handoff_id, account)
            await add_event(
                conn,
                topics.HANDOFF_ACKNOWLEDGED,
                {"handoff_id": handoff_id, "unit_id": row["unit_id"], "resident_account_id": account},
                project_id=str(row["project_id"]),
            )
    return {"handoff_id": handoff_id, "acknowledged": True}


_NOT_SIGNED = "the acknowledgement is not signed with the secret of an endpoint this hand-off was sent to"


def _verify(endpoints: list[Any], raw_body: bytes, headers: dict[str, str]) -> None:
    """Valid if signed with the secret (or the rotated-out one, within 24 h) of one of `endpoints`. With none (an
    unknown hand-off) a throwaway secret is tried, so the answer and its time say nothing of what exists."""
    now = now_utc()
    secrets = [s for endpoint in endpoints for s in _secrets(endpoint, now)] or [new_secret()]
    verified = False
    for secret in secrets:
        try:
            Webhook(secret).verify(raw_body, headers, json_parse=False)
            verified = bool(endpoints)
        except Exception:
            continue
    if not verified:
        raise BadSignature(_NOT_SIGNED)


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


async def endpoint_in_reach(
    conn: asyncpg.Connection, endpoint_id: uuid.UUID, may_work_on: Callable[[str], None]
) -> uuid.UUID:
    """The endpoint's id, once its project is checked."""
    return in_project(await store.endpoint(conn, endpoint_id), "webhook", may_work_on)["id"]


async def attempts_page(
    conn: asyncpg.Connection, endpoint_id: uuid.UUID, who: Principal, status: str | None, window: tuple[int | None, int]
) -> list[tuple[tuple[str], dict[str, Any]]]:
    """The delivery log of an endpoint of the caller's projects: every attempt with its outcome, each with the key
    the next page starts after."""
    endpoint_id = await endpoint_in_reach(conn, endpoint_id, who.require_project)
    rows = await store.attempts_page(conn, endpoint_id, status, *window)
    return [((str(row["id"]),), _attempt(row)) for row in rows]


def _attempt(row: Any) -> dict[str, Any]:
    return json_view(row, "event_id", "topic", "at", "status_code", "duration_ms", "error", "status")


async def seal_legacy(conn: asyncpg.Connection, batch: int = 200) -> int:
    """R18: secrets and bodies the release before issue 19 wrote in clear are sealed, a batch at a time; the number
    of rows sealed (a periodic job calls this until it answers 0)."""
    async with conn.transaction():
        endpoints = await store.plain_endpoints(conn, batch)
        for row in endpoints:
            previous = secret_of(row["previous_secret"])
            await store.seal_endpoint(
                conn, row["id"], sealed(secret_of(row["secret"]) or ""), sealed(previous) if previous else None
            )
        bodies = await store.plain_bodies(conn, batch)
        for row in bodies:
            await store.seal_body(conn, row["seq"], seal(bytes(row["body"])))
    return len(endpoints) + len(bodies)
