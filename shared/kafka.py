"""Producers, the broker health probe, topic creation (`estate topics`, production and embedded alike)."""

from __future__ import annotations

import asyncio
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.catalogue import ALL_TOPIC_NAMES
from shared.settings import Settings


def make_producer(settings: Settings, **overrides: object) -> AIOKafkaProducer:
    """acks=all; idempotence only where the broker supports it (not the embedded Tansu)."""
    options: dict[str, object] = dict(
        bootstrap_servers=settings.kafka_bootstrap(),
        acks="all",
        enable_idempotence=settings.kafka_idempotence,
        linger_ms=2,
        request_timeout_ms=15_000,
        retry_backoff_ms=200,
    )
    options.update(overrides)
    return AIOKafkaProducer(**options)


async def broker_answers(producer: AIOKafkaProducer | None, settings: Settings, timeout: float = 1.5) -> bool:
    """True when the broker answers a metadata request (a frozen or dead broker does not)."""
    client = getattr(producer, "client", None)
    if client is None or not await broker_reachable(settings, timeout):
        return False
    try:
        await asyncio.wait_for(client.fetch_all_metadata(), timeout)
    except Exception:
        return False
    return True


async def broker_reachable(settings: Settings, timeout: float = 1.0) -> bool:
    """True when a TCP connection to the first bootstrap server opens within `timeout`."""
    host, _, port = settings.kafka_bootstrap().split(",")[0].rpartition(":")
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host or "127.0.0.1", int(port)), timeout)
    except (TimeoutError, OSError):
        return False
    writer.close()
    return True


async def start_broker(broker: Any) -> None:
    """What FastStream's `broker.start()` does, with the subscribers started together.

    Each consumer group join takes about five seconds on the embedded broker; a service with twelve
    subscribed topics started them one after another and was a minute from ready. Together: five seconds."""
    await broker.connect()
    await asyncio.gather(*(subscriber.start() for subscriber in broker.subscribers))
    for publisher in broker.publishers:
        await publisher.start()
    broker.running = True


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
