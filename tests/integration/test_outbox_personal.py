"""R18: a hand-off's resident name and phone do not rest in plain in the outbox, yet are published (and
replayed) as the property company needs them."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace
from typing import Any

import asyncpg
import orjson

from shared.db.databases import service_dsn
from shared.db.migrate import migrate_service
from shared.messaging import topics
from shared.messaging.outbox import add_event, requeue_since
from shared.messaging.relay import OutboxRelay
from shared.runtime.settings import Settings
from tests.support.platform import MIGRATIONS


class RecordBatch:
    """A record batch that takes everything."""

    def __init__(self) -> None:
        self.records: list[bytes] = []

    def append(self, *, key: bytes, value: bytes, timestamp: None) -> bool:
        self.records.append(value)
        return True

    def close(self) -> None:
        """Complete (the relay closes each batch before it is sent)."""


class CapturingProducer:
    """Stands in for the broker: what the relay would publish (in record batches, one partition)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def partitions_for(self, topic: str) -> set[int]:
        return {0}

    def create_batch(self) -> RecordBatch:
        return RecordBatch()

    async def send_batch(self, batch: Any, topic: str, *, partition: int) -> Any:
        """Acknowledged at once, at the next offsets of partition 0 (the relay records where each row went)."""
        base = len(self.sent)
        self.sent += [(topic, value) for value in batch.records]
        future: Any = asyncio.get_running_loop().create_future()
        future.set_result(SimpleNamespace(topic=topic, partition=partition, offset=base))
        return future


def _handoff() -> dict:
    return {
        "handoff_id": str(uuid.uuid4()),
        "unit_id": str(uuid.uuid4()),
        "project": {"id": str(uuid.uuid4()), "code": "P1", "name": "Garden"},
        "unit": {"building": "1", "number": "1201", "floor": 12, "area_m2": "89.00"},
        "resident": {"name": "王小明", "phone": "+8613812345678"},
        "contract_no": "C-1",
        "handed_over_at": "2026-05-01T10:00:00+08:00",
    }


async def test_a_handoff_is_sealed_in_the_outbox_and_published_in_clear(settings: Settings) -> None:
    name = f"pii_{uuid.uuid4().hex[:8]}"
    await migrate_service(settings, name, MIGRATIONS)
    conn = await asyncpg.connect(service_dsn(settings, name))
    try:
        async with conn.transaction():
            env = await add_event(conn, topics.PROPERTY_HANDOFF, _handoff(), project_id=None)
        raw = bytes(await conn.fetchval("SELECT payload FROM outbox WHERE event_id = $1", env.id))
        assert "王小明".encode() not in raw and b"13812345678" not in raw
        producer = CapturingProducer()
        relay = OutboxRelay(name, service_dsn(settings, name), producer)  # type: ignore[arg-type]
        assert await relay.drain_once(conn) == 1
        await requeue_since(conn, env.occurred_at)  # a replay publishes the same clear payload again
        assert await relay.drain_once(conn) == 1
    finally:
        await conn.close()
    published = [orjson.loads(value) for _, value in producer.sent]
    assert [p["data"]["resident"]["name"] for p in published] == ["王小明", "王小明"]
    assert published[0]["id"] == str(env.id)
