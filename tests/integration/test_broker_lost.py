"""A broker that comes back without its log loses nothing (issue 19).

The embedded broker keeps its log in memory: killed, or started again by `make run`, it is another broker with no
topics and none of the events it had. The relay notices (another cluster id, topics missing), makes the topics
again and publishes again, in order, every event some consumer group had not committed; consumers read the new
log from its start and the inbox drops what they had applied. No operator, no `estate outbox replay`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
from fastapi import FastAPI

from shared.db.databases import service_dsn
from shared.db.migrate import migrate_service
from shared.messaging.kafka import SEND_TIMEOUT_MS, create_topics
from shared.runtime.serving import create_app
from shared.runtime.settings import Settings
from shared.tools.embedded import EmbeddedKafka, free_port
from tests.support.delivery import applied, applied_count, out_of_order, write_events
from tests.support.platform import MIGRATIONS, sink_spec, source_spec
from tests.support.polling import async_wait_for


@contextlib.asynccontextmanager
async def _running(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with app.router.lifespan_context(app):
        yield httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://service")


async def _setup(settings: Settings, tmp_path: Path) -> tuple[Settings, EmbeddedKafka, str, str, str]:
    tag = uuid.uuid4().hex[:8]
    source, sink = f"src_{tag}", f"sink_{tag}"
    broker = EmbeddedKafka(free_port(), tmp_path / "tansu.log")
    broker.start()
    private = settings.model_copy(update={"kafka": broker.bootstrap, "broker_check_seconds": 0.5})
    await create_topics(broker.bootstrap, private.partitions)
    for name in (source, sink):
        await migrate_service(private, name, MIGRATIONS)
    return private, broker, source, sink, f"p{tag}"


async def _reason(client: httpx.AsyncClient) -> str:
    answer = await client.get("/health")
    return "ok" if answer.status_code == 200 else str(answer.json()["reason"].get("broker"))


async def test_a_broker_killed_mid_burst_and_replaced_loses_nothing_and_health_tells_the_truth(
    settings: Settings, tmp_path: Path
) -> None:
    private, broker, source, sink, prefix = await _setup(settings, tmp_path)
    source_app = create_app(source_spec(source, consumers=(sink,)), private)
    sink_app = create_app(sink_spec(sink), private)
    seen: set[str] = set()
    try:
        async with _running(source_app) as client, _running(sink_app):
            burst = asyncio.ensure_future(write_events(service_dsn(private, source), prefix, keys=20, per_key=30))
            await async_wait_for(lambda: applied_count(service_dsn(private, sink), prefix), timeout=60)
            broker.kill()  # mid-burst: some events applied, some published and unread, some not yet published
            died = time.monotonic()
            await async_wait_for(lambda: _saw(client, seen, "unreachable"), timeout=15)
            await asyncio.sleep(max(0.0, SEND_TIMEOUT_MS / 1000 + 1 - (time.monotonic() - died)))  # as `estate up`
            broker.start()  # same port, empty log, another cluster id
            await burst
            await async_wait_for(lambda: _applied(private, sink, prefix, 600), timeout=120)
            await async_wait_for(lambda: _saw(client, seen, "ok"), timeout=30)
    finally:
        broker.stop()
    rows = await applied(service_dsn(private, sink), prefix)
    assert len(rows) == 600  # each applied once (the inbox dropped the replay's second copies)
    assert out_of_order(rows) == []
    assert "unreachable" in seen and "ok" in seen


async def test_make_run_restarted_on_a_fresh_broker_brings_consumers_back_and_replays_only_what_was_unread(
    settings: Settings, tmp_path: Path
) -> None:
    private, broker, source, sink, prefix = await _setup(settings, tmp_path)
    source_dsn, sink_dsn = service_dsn(private, source), service_dsn(private, sink)
    try:
        async with _running(create_app(source_spec(source, consumers=(sink,)), private)):
            async with _running(create_app(sink_spec(sink), private)):
                await write_events(source_dsn, f"{prefix}a", keys=10, per_key=10)
                await async_wait_for(lambda: _applied(private, sink, f"{prefix}a", 100), timeout=60)
                await async_wait_for(lambda: _all_confirmed(source_dsn), timeout=30)
            await write_events(source_dsn, f"{prefix}b", keys=10, per_key=5)  # published while nobody reads
            await async_wait_for(lambda: _all_published(source_dsn), timeout=30)
        broker.stop()  # Ctrl-C: the in-memory log goes with it
        broker.start()
        async with _running(create_app(source_spec(source, consumers=(sink,)), private)):
            async with _running(create_app(sink_spec(sink), private)) as sink_client:
                await async_wait_for(lambda: _applied(private, sink, f"{prefix}b", 50), timeout=120)
                await async_wait_for(lambda: _health_ok(sink_client), timeout=30)
    finally:
        broker.stop()
    assert len(await applied(sink_dsn, f"{prefix}a")) == 100
    assert out_of_order(await applied(sink_dsn, f"{prefix}b")) == []
    assert await _published_twice(source_dsn) == 50  # the replay was what the sink had not read, not all 150


async def _saw(client: httpx.AsyncClient, seen: set[str], wanted: str) -> bool:
    reason = await _reason(client)
    seen.add("unreachable" if reason == "unreachable" else reason.split(":")[0])
    return reason.startswith(wanted)


async def _health_ok(client: httpx.AsyncClient) -> bool:
    return (await client.get("/health")).status_code == 200


async def _applied(settings: Settings, sink: str, prefix: str, n: int) -> bool:
    return await applied_count(service_dsn(settings, sink), prefix) >= n


async def _fetchval(dsn: str, sql: str) -> object:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetchval(sql)
    finally:
        await conn.close()


async def _all_confirmed(dsn: str) -> bool:
    sql = "SELECT confirmed_below > (SELECT max(publish_seq) FROM outbox) FROM broker_state"
    return bool(await _fetchval(dsn, sql))


async def _all_published(dsn: str) -> bool:
    return await _fetchval(dsn, "SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0


async def _published_twice(dsn: str) -> object:
    """Rows published after the recovery: their sequence is beyond every first publication (150 rows)."""
    return await _fetchval(dsn, "SELECT count(*) FROM outbox WHERE publish_seq > 150")
