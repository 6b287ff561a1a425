"""The broker stopped for 10 s while commands keep committing: all delivered after, /health 503 meanwhile.

The broker is frozen (SIGSTOP) rather than killed: the embedded Tansu keeps its log in memory, so a
kill would also wipe every topic, which is a different failure (recovered with `estate outbox replay`).
A frozen broker is what a network partition or a stopped Kafka node looks like to the services.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx

from shared.db.databases import service_dsn
from shared.db.migrate import migrate_service
from shared.messaging.kafka import create_topics
from shared.runtime.serving import create_app
from shared.runtime.settings import Settings
from shared.tools.embedded import EmbeddedKafka, free_port
from tests.support.delivery import applied, applied_count, out_of_order, write_events
from tests.support.platform import MIGRATIONS, sink_spec, source_spec
from tests.support.polling import async_wait_for


async def test_broker_down_for_10s_then_everything_is_delivered_and_health_said_503(
    settings: Settings, tmp_path
) -> None:
    tag = uuid.uuid4().hex[:8]
    source, sink, prefix = f"src_{tag}", f"sink_{tag}", f"p{tag}"
    broker = EmbeddedKafka(free_port(), tmp_path / "tansu.log")
    broker.start()
    private = settings.model_copy(update={"kafka": broker.bootstrap})
    await create_topics(broker.bootstrap, private.partitions)
    for name in (source, sink):
        await migrate_service(private, name, MIGRATIONS)
    source_app, sink_app = create_app(source_spec(source), private), create_app(sink_spec(sink), private)
    try:
        async with source_app.router.lifespan_context(source_app), sink_app.router.lifespan_context(sink_app):
            client = httpx.AsyncClient(transport=httpx.ASGITransport(source_app), base_url="http://source")
            await write_events(service_dsn(private, source), f"{prefix}a", keys=10, per_key=20)
            await async_wait_for(lambda: _applied(private, sink, f"{prefix}a", 200), timeout=60)
            assert (await client.get("/health")).status_code == 200

            broker.pause()
            down_since = time.monotonic()
            await async_wait_for(lambda: _health_is(client, 503), timeout=10)
            body = (await client.get("/health")).json()
            assert body["reason"]["broker"] == "unreachable"
            await write_events(service_dsn(private, source), f"{prefix}b", keys=10, per_key=30)
            await asyncio.sleep(max(0.0, 10 - (time.monotonic() - down_since)))  # the outage lasts 10 s by design
            broker.resume()

            await async_wait_for(lambda: _health_is(client, 200), timeout=30)
            await async_wait_for(lambda: _applied(private, sink, f"{prefix}b", 300), timeout=120)
    finally:
        broker.resume()
        broker.stop()
    rows = await applied(service_dsn(private, sink), f"{prefix}b")
    assert len(rows) == 300
    assert out_of_order(rows) == []


async def _applied(settings: Settings, sink: str, prefix: str, n: int) -> bool:
    return await applied_count(service_dsn(settings, sink), prefix) >= n


async def _health_is(client: httpx.AsyncClient, status: int) -> bool:
    return (await client.get("/health")).status_code == status
