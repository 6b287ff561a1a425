"""Helpers for the delivery proofs: write events to an outbox, read what a sink applied."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg

from shared.db.databases import service_dsn
from shared.messaging.kafka import make_producer
from shared.messaging.outbox import add_event
from shared.messaging.relay import OutboxRelay
from shared.messaging.topics import PLATFORM_TEST
from shared.runtime.settings import Settings


@asynccontextmanager
async def running_relay(settings: Settings, source: str) -> AsyncIterator[OutboxRelay]:
    """`source`'s outbox relay running in this process against the real broker."""
    producer = make_producer(settings)
    await producer.start()
    relay = OutboxRelay(source, service_dsn(settings, source), producer, poll_seconds=0.2)
    task = asyncio.ensure_future(relay.run())
    try:
        yield relay
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await producer.stop()


async def write_events(
    dsn: str, prefix: str, keys: int, per_key: int, writers: int = 8, batch: int = 50, **extra: object
) -> int:
    """Commit `keys × per_key` events from concurrent writers; each key's seq rises in commit order."""

    async def writer(w: int) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            mine = [f"{prefix}-{k}" for k in range(keys) if k % writers == w]
            pending = [(key, seq) for seq in range(per_key) for key in mine]
            for start in range(0, len(pending), batch):
                async with conn.transaction():
                    for key, seq in pending[start : start + batch]:
                        await add_event(conn, PLATFORM_TEST, {"key": key, "seq": seq, **extra}, project_id=prefix)
        finally:
            await conn.close()

    await asyncio.gather(*(writer(w) for w in range(writers)))
    return keys * per_key


async def applied(dsn: str, prefix: str) -> list[asyncpg.Record]:
    """Rows the sink applied for keys of `prefix`, in the order it applied them."""
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch("SELECT key, seq FROM applied WHERE key LIKE $1 ORDER BY n", f"{prefix}-%")
    finally:
        await conn.close()


async def applied_count(dsn: str, prefix: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval("SELECT count(*) FROM applied WHERE key LIKE $1", f"{prefix}-%")
    finally:
        await conn.close()


def out_of_order(rows: list[asyncpg.Record]) -> list[str]:
    """Keys whose applied seqs are not exactly 0, 1, 2, … in applied order."""
    seen: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        seen[row["key"]].append(row["seq"])
    return [key for key, seqs in seen.items() if seqs != list(range(len(seqs)))]


async def audit(dsn: str, prefix: str, expected: int) -> dict[str, object]:
    """What a sink applied for keys of `prefix`, checked: events lost (fewer distinct than `expected`), applied twice
    (rows beyond the distinct events), and keys whose events were not applied in their order."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("SELECT event_id, key, seq FROM applied WHERE key LIKE $1 ORDER BY n", f"{prefix}-%")
    finally:
        await conn.close()
    distinct = len({row["event_id"] for row in rows})
    return {
        "applied": len(rows),
        "lost": expected - distinct,
        "applied_twice": len(rows) - distinct,
        "keys_out_of_order": len(out_of_order(rows)),
    }
