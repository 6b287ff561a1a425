"""All SQL of webhooks: endpoints, deliveries and their log, hand-offs and acknowledgements. Secrets and bodies are
bytes here, sealed by the use cases (issue 19); rows of the release before may still hold them in clear."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from shared.db.rows import earliest

_ENDPOINT_COLUMNS = "id, project_id, url, events, description, secret, previous_secret, previous_until, disabled_at"

_INSERT_ENDPOINT = (
    "INSERT INTO webhook_endpoints (id, project_id, url, events, description, secret, created_by)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7)"
)


async def insert_endpoint(
    conn: asyncpg.Connection,
    endpoint_id: uuid.UUID,
    project_id: uuid.UUID,
    url: str,
    events: list[str],
    description: str | None,
    secret: bytes,
    by: str,
) -> None:
    await conn.execute(_INSERT_ENDPOINT, endpoint_id, project_id, url, events, description, secret, by)


async def endpoint(conn: asyncpg.Connection, endpoint_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1", endpoint_id)


async def subscribed(conn: asyncpg.Connection, project_id: uuid.UUID, topic: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE project_id = $1"
        " AND $2 = ANY(events) AND disabled_at IS NULL",
        project_id,
        topic,
    )


async def endpoints_of_project(conn: asyncpg.Connection, project_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT {_ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE project_id = $1", project_id)


_ROTATE = "UPDATE webhook_endpoints SET previous_secret = secret, previous_until = $3, secret = $2 WHERE id = $1"


async def rotate(conn: asyncpg.Connection, endpoint_id: uuid.UUID, secret: bytes, until: datetime) -> None:
    await conn.execute(_ROTATE, endpoint_id, secret, until)


_INSERT_DELIVERY = (
    "INSERT INTO webhook_deliveries (endpoint_id, event_id, topic, order_key, occurred_at, body, handoff_id)"
    " VALUES ($1,$2,$3,$4,$5,$6,$7) ON CONFLICT (endpoint_id, event_id) DO NOTHING"
)


async def insert_delivery(
    conn: asyncpg.Connection,
    endpoint_id: uuid.UUID,
    event: tuple[uuid.UUID, str, str, datetime],
    body: bytes,
    handoff_id: str | None,
) -> None:
    """`event`: its id, topic, order key (the unit) and time."""
    await conn.execute(_INSERT_DELIVERY, endpoint_id, *event, body, handoff_id)


# A delivery goes when it is due, nobody else holds it, and no event of its unit that comes before it is still
# pending for the endpoint: a unit's handover-completed always before its hand-off (whatever the clocks say),
# otherwise in the order the events occurred. A hand-off also waits for its handover-completed to arrive at all
# when the endpoint takes both (the two topics are consumed independently).
# The locking choice in a CTE: PostgreSQL runs it once, so the rows locked (SKIP LOCKED, LIMIT) are the rows
# updated. As `seq IN (subquery)` the planner may run the subquery again inside a join, and two workers then
# came away with fewer rows between them than were due.
_CLAIM = """
WITH due AS (
    SELECT d.seq FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
    WHERE d.status = 'pending' AND d.next_attempt_at <= $1 AND (d.claimed_until IS NULL OR d.claimed_until < $1)
      AND e.disabled_at IS NULL
      AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.endpoint_id = d.endpoint_id
                      AND p.order_key = d.order_key AND p.status = 'pending' AND p.seq <> d.seq
                      AND ((p.topic = $5 AND d.topic = $4)
                           OR ((p.topic = $4) = (d.topic = $4) AND (p.occurred_at, p.seq) < (d.occurred_at, d.seq))))
      AND NOT (d.topic = $4 AND $5 = ANY(e.events) AND NOT EXISTS (
               SELECT 1 FROM webhook_deliveries h WHERE h.endpoint_id = d.endpoint_id
               AND h.order_key = d.order_key AND h.topic = $5))
    ORDER BY d.next_attempt_at LIMIT $2 FOR UPDATE OF d SKIP LOCKED
)
UPDATE webhook_deliveries d SET claimed_until = $1 + make_interval(secs => $3)
FROM due, webhook_endpoints e
WHERE d.seq = due.seq AND e.id = d.endpoint_id
RETURNING d.seq, d.endpoint_id, d.event_id, d.topic, d.body, d.attempts, e.url, e.secret, e.previous_secret,
          e.previous_until, d.claimed_until AS lease
"""


async def next_delivery_due(conn: asyncpg.Connection) -> datetime | None:
    """When the next pending delivery falls due (the deliverer sleeps until then)."""
    return await earliest(conn, "webhook_deliveries", "next_attempt_at", "status = 'pending'")


async def claim_due(
    conn: asyncpg.Connection, now: datetime, batch: int, lease_seconds: float, handoff_topic: str, handover_topic: str
) -> list[asyncpg.Record]:
    """Take up to `batch` deliveries for `lease_seconds` (several workers never take the same one)."""
    return await conn.fetch(_CLAIM, now, batch, lease_seconds, handoff_topic, handover_topic)


_RECORD_ATTEMPT = (
    "INSERT INTO webhook_attempts (endpoint_id, event_id, status_code, duration_ms, error) VALUES ($1,$2,$3,$4,$5)"
)


async def record_attempt(
    conn: asyncpg.Connection, row: Any, status_code: int | None, ms: int, error: str | None
) -> None:
    await conn.execute(_RECORD_ATTEMPT, row["endpoint_id"], row["event_id"], status_code, ms, error)


# Only while the lease is still ours: a worker whose lease ran out (a send slower than the lease) must not undo
# what the worker that claimed the delivery after it decides.
_SETTLE = (
    "UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = coalesce($4, next_attempt_at),"
    " claimed_until = NULL, delivered_at = CASE WHEN $2 = 'delivered' THEN now() END"
    " WHERE seq = $1 AND claimed_until = $5"
)


async def settle(
    conn: asyncpg.Connection, seq: int, status: str, attempts: int, next_attempt_at: datetime | None, lease: datetime
) -> bool:
    """False when another worker has claimed the delivery since (our lease ran out): its decision stands."""
    return (await conn.execute(_SETTLE, seq, status, attempts, next_attempt_at, lease)).endswith("1")


async def disable(conn: asyncpg.Connection, endpoint_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE webhook_endpoints SET disabled_at = now() WHERE id = $1 AND disabled_at IS NULL", endpoint_id
    )


_RETRY_NOW = (
    "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = now(),"
    " claimed_until = NULL WHERE endpoint_id = $1 AND event_id = $2"
)


async def retry_now(conn: asyncpg.Connection, endpoint_id: uuid.UUID, event_id: uuid.UUID) -> bool:
    done = await conn.execute(_RETRY_NOW, endpoint_id, event_id)
    return done.endswith("1")


_ATTEMPTS_PAGE = (
    "SELECT a.id, a.event_id, a.at, a.status_code, a.duration_ms, a.error, d.status, d.topic"
    " FROM webhook_attempts a"
    " JOIN webhook_deliveries d ON d.endpoint_id = a.endpoint_id AND d.event_id = a.event_id"
    " WHERE a.endpoint_id = $1 AND ($2::text IS NULL OR d.status = $2) AND ($3::bigint IS NULL OR a.id > $3)"
    " ORDER BY a.id LIMIT $4"
)


async def attempts_page(
    conn: asyncpg.Connection, endpoint_id: uuid.UUID, status: str | None, after: int | None, limit: int
) -> list[asyncpg.Record]:
    """The delivery log: every attempt, oldest first, with the delivery's present status."""
    return await conn.fetch(_ATTEMPTS_PAGE, endpoint_id, status, after, limit)


_REMEMBER_HANDOFF = "INSERT INTO handoffs (handoff_id, project_id, unit_id) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING"


async def remember_handoff(conn: asyncpg.Connection, handoff_id: str, project_id: uuid.UUID, unit_id: str) -> None:
    await conn.execute(_REMEMBER_HANDOFF, handoff_id, project_id, unit_id)


async def handoff(conn: asyncpg.Connection, handoff_id: str, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM handoffs WHERE handoff_id = $1" + (" FOR UPDATE" if lock else ""), handoff_id
    )


_ACKNOWLEDGE = "UPDATE handoffs SET acknowledged_at = now(), resident_account_id = $2 WHERE handoff_id = $1"


async def acknowledge(conn: asyncpg.Connection, handoff_id: str, account: str | None) -> None:
    await conn.execute(_ACKNOWLEDGE, handoff_id, account)


_UNACKNOWLEDGED = (
    "SELECT * FROM handoffs WHERE acknowledged_at IS NULL AND NOT reported_unacked"
    " AND received_at < $1 ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED"
)


_ACKNOWLEDGING = (
    "SELECT e.id, e.secret, e.previous_secret, e.previous_until FROM webhook_endpoints e"
    " WHERE e.id IN (SELECT d.endpoint_id FROM webhook_deliveries d WHERE d.handoff_id = $1)"
)


async def acknowledging_endpoints(conn: asyncpg.Connection, handoff_id: str) -> list[asyncpg.Record]:
    """The endpoints a hand-off was sent to (a delivery row of it, whatever its status): those that may acknowledge."""
    return await conn.fetch(_ACKNOWLEDGING, handoff_id)


async def unacknowledged(conn: asyncpg.Connection, older_than: datetime, batch: int) -> list[asyncpg.Record]:
    return await conn.fetch(_UNACKNOWLEDGED, older_than, batch)


async def mark_reported(conn: asyncpg.Connection, handoff_id: str) -> None:
    await conn.execute("UPDATE handoffs SET reported_unacked = true WHERE handoff_id = $1", handoff_id)


async def oldest_pending_age(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    """Per endpoint, how long its oldest undelivered event has waited (seconds)."""
    return await conn.fetch(
        "SELECT endpoint_id, extract(epoch FROM now() - min(occurred_at)) AS age"
        " FROM webhook_deliveries WHERE status = 'pending' GROUP BY endpoint_id"
    )


# Rows written in clear by the release before issue 19, for the sealing step (FOR UPDATE: a rotation waits).
_UNSEALED = "substring({c} FROM 1 FOR 7) <> 'sealed:'::bytea"
_PLAIN_ENDPOINTS = (
    "SELECT id, secret, previous_secret FROM webhook_endpoints WHERE "
    + _UNSEALED.format(c="secret")
    + " OR "
    + _UNSEALED.format(c="previous_secret")
    + " LIMIT $1 FOR UPDATE SKIP LOCKED"
)
_PLAIN_BODIES = (
    "SELECT seq, body FROM webhook_deliveries WHERE " + _UNSEALED.format(c="body") + " LIMIT $1 FOR UPDATE SKIP LOCKED"
)


async def plain_endpoints(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(_PLAIN_ENDPOINTS, limit)


async def seal_endpoint(
    conn: asyncpg.Connection, endpoint_id: uuid.UUID, secret: bytes, previous: bytes | None
) -> None:
    await conn.execute(
        "UPDATE webhook_endpoints SET secret = $2, previous_secret = $3 WHERE id = $1", endpoint_id, secret, previous
    )


async def plain_bodies(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(_PLAIN_BODIES, limit)


async def seal_body(conn: asyncpg.Connection, seq: int, body: bytes) -> None:
    await conn.execute("UPDATE webhook_deliveries SET body = $2 WHERE seq = $1", seq, body)
