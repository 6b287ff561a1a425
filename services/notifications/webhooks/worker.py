"""The delivery worker: claims due deliveries (SKIP LOCKED, so several may run), sends them, settles them."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from services.notifications.webhooks import store, use_cases
from shared import metrics
from shared.jobs import periodic
from shared.runtime import Runtime

BATCH = 20


async def deliver_due(conn: asyncpg.Connection, client: httpx.AsyncClient, batch: int = BATCH) -> int:
    """One round: claim, send concurrently (a slow endpoint does not hold up the others), settle."""
    rows = await use_cases.claim(conn, batch)
    now = use_cases.now_utc()
    results = await asyncio.gather(*(use_cases.send(client, row, now) for row in rows))
    for row, (status, ms, error) in zip(rows, results, strict=False):
        await use_cases.settle(conn, row, status, ms, error, use_cases.now_utc())
    await _observe(conn)
    return len(rows)


async def _observe(conn: asyncpg.Connection) -> None:
    for row in await store.oldest_pending_age(conn):
        metrics.WEBHOOK_OLDEST_PENDING.labels(str(row["endpoint_id"])).set(float(row["age"] or 0))


async def webhook_worker(runtime: Runtime) -> None:
    """A periodic job with one HTTP client for its life (timeout from the settings, 15 s by default)."""
    async with httpx.AsyncClient(timeout=runtime.settings.webhook_timeout_seconds) as client:
        # Issue 27: asleep until the next delivery is due or a commit records one (NOTIFY estate_webhooks).
        deliver = periodic(
            "webhook_delivery",
            5.0,
            lambda conn: deliver_due(conn, client),
            next_due=use_cases.next_delivery_due,
            listen="estate_webhooks",
        )
        await deliver(runtime)


async def unacknowledged_watch(runtime: Runtime) -> None:
    await periodic("handoff_ack_watch", 300.0, use_cases.report_unacknowledged)(runtime)
