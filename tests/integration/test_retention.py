"""Issue 23: the outbox and the inbox stay small. Retention deletes old published rows every consumer group confirmed
and old applied event ids, a batch per statement; it never deletes a published row some group has not confirmed
(it may have to be published again, shared/messaging/redelivery.py), nor anything recent."""

from __future__ import annotations

import uuid

import asyncpg

from shared.db.databases import service_dsn
from shared.db.migrate import migrate_service
from shared.messaging.retention import Retention, purge
from shared.runtime.settings import Settings
from tests.support.platform import MIGRATIONS

OLD, NEW = "now() - interval '30 days'", "now() - interval '1 hour'"


async def _outbox_row(conn: asyncpg.Connection, published: str, seq: int | None) -> int:
    return await conn.fetchval(
        "INSERT INTO outbox (event_id, topic, key, payload, published_at, publish_seq, kafka_partition, kafka_offset)"
        f" VALUES ($1, 't', 'k', '\\x00', {published}, $2, 0, $2) RETURNING id",
        uuid.uuid4(),
        seq,
    )


async def test_retention_keeps_what_may_be_needed_and_deletes_the_rest_in_batches(settings: Settings) -> None:
    name = f"ret_{uuid.uuid4().hex[:8]}"
    await migrate_service(settings, name, MIGRATIONS)
    conn = await asyncpg.connect(service_dsn(settings, name))
    try:
        await conn.execute("UPDATE broker_state SET confirmed_below = 10")
        old_confirmed = [await _outbox_row(conn, OLD, seq) for seq in (1, 2, 3, 4, 5)]
        old_before_custody = await _outbox_row(conn, OLD, None)  # published before migration 004: confirmed
        old_unconfirmed = [await _outbox_row(conn, OLD, seq) for seq in (10, 11)]
        recent = await _outbox_row(conn, NEW, 6)
        unpublished = await _outbox_row(conn, "NULL", None)
        for age in (OLD,) * 5 + (NEW,) * 2:
            sql = f"INSERT INTO inbox (event_id, topic, received_at) VALUES ($1, 't', {age})"
            await conn.execute(sql, uuid.uuid4())

        deleted = await purge(conn, Retention(outbox_hours=24, inbox_hours=48), batch=2)

        kept = {r["id"] for r in await conn.fetch("SELECT id FROM outbox")}
        assert deleted == (len(old_confirmed) + 1, 5)
        assert kept == {*old_unconfirmed, recent, unpublished}
        assert old_before_custody not in kept
        assert await conn.fetchval("SELECT count(*) FROM inbox") == 2
    finally:
        await conn.close()
