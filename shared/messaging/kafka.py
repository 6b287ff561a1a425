"""Producers and topic creation (`estate topics`, production and embedded alike)."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.messaging.topics import ALL_TOPIC_NAMES
from shared.runtime.settings import Settings

# A send the broker has not acknowledged within this fails (aiokafka retries it until then). `estate up` waits longer
# than this before it starts a broker that died, so no retry of an old send reaches the new broker ahead of the
# replay of what the old one lost (shared/redelivery.py).
SEND_TIMEOUT_MS = 5_000


def make_producer(settings: Settings, **overrides: object) -> AIOKafkaProducer:
    """acks=all; idempotence only where the broker supports it (not the embedded Tansu)."""
    options: dict[str, object] = dict(
        bootstrap_servers=settings.kafka_bootstrap(),
        acks="all",
        enable_idempotence=settings.kafka_idempotence,
        linger_ms=2,
        max_batch_size=512 * 1024,  # the relay writes its rows into batches this large (shared/messaging/publishing.py)
        request_timeout_ms=SEND_TIMEOUT_MS,
        retry_backoff_ms=200,
    )
    options.update(overrides)
    return AIOKafkaProducer(**options)


async def create_topics(bootstrap: str, partitions: int, replication_factor: int = 1) -> list[str]:
    """Create every catalogue topic and its `.dlq` twin; existing ones are left alone."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in ALL_TOPIC_NAMES if n not in existing]
        if missing:
            await admin.create_topics([NewTopic(n, partitions, replication_factor) for n in missing])
        return missing
    finally:
        await admin.close()


def create_topics_sync(bootstrap: str, partitions: int, replication_factor: int = 1) -> list[str]:
    """`create_topics` for callers without an event loop (test fixtures)."""
    return asyncio.run(create_topics(bootstrap, partitions, replication_factor))
