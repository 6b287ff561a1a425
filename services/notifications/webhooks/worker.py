"""The delivery worker: claims due deliveries (SKIP LOCKED, so several may run), sends them, settles them; and the
background steps beside it (the 3-day watch for acknowledgements, sealing what the release before left in clear)."""

from __future__ import annotations

import asyncio

import asyncpg

from services.notifications.webhooks import store, use_cases
from services.notifications.webhooks.sending import Resolver, Sender, client, system_resolver
from shared.runtime import metrics
from shared.runtime.jobs import Job, periodic
from shared.runtime.service import Runtime

BATCH = 20


async def deliver_due(conn: asyncpg.Connection, sender: Sender, batch: int = BATCH) -> int:
    """One round: claim, send concurrently (a slow endpoint does not hold up the others), settle."""
    rows = await use_cases.claim(conn, batch)
    now = use_cases.now_utc()
    attempts = await asyncio.gather(*(use_cases.send(sender, row, now) for row in rows))
    for row, attempt in zip(rows, attempts, strict=False):
        await use_cases.settle(conn, row, attempt, use_cases.now_utc())
    await _observe(conn)
    return len(rows)


async def _observe(conn: asyncpg.Connection) -> None:
    for row in await store.oldest_pending_age(conn):
        metrics.WEBHOOK_OLDEST_PENDING.labels(str(row["endpoint_id"])).set(float(row["age"] or 0))


def webhook_worker(resolver: Resolver = system_resolver) -> Job:
    """A periodic job with one HTTP client for its life (timeout from the settings, 15 s by default); endpoint host
    names are resolved by `resolver` at every attempt."""

    async def webhook_delivery(runtime: Runtime) -> None:
        settings = runtime.settings
        async with client(settings.webhook_timeout_seconds) as http:
            sender = Sender(http, resolver, settings.webhook_allow_private)
            # Issue 27: asleep until the next delivery is due or a commit records one (NOTIFY estate_webhooks).
            deliver = periodic(
                "webhook_delivery",
                5.0,
                lambda conn: deliver_due(conn, sender),
                next_due=use_cases.next_delivery_due,
                listen="estate_webhooks",
            )
            await deliver(runtime)

    return webhook_delivery


async def unacknowledged_watch(runtime: Runtime) -> None:
    await periodic("handoff_ack_watch", 300.0, use_cases.report_unacknowledged)(runtime)


async def webhook_sealer(runtime: Runtime) -> None:
    """R18: secrets and bodies written in clear before issue 19 are sealed in the background (log line
    `webhook_sealing_done`)."""
    await periodic("webhook_sealing", 300.0, use_cases.seal_legacy)(runtime)
