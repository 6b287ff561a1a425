"""Events end to end: command commit → outbox → relay → broker → consumer → applied in its database.

Offered rates of 200 and 1,000 events/s, then the maximum (a preloaded outbox drained by the relay
and the consumer). Ceiling in the same run: raw aiokafka produce → consume on the same broker.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bench.infra import ROOT, database, stop
from bench.loadgen import percentile
from shared.db.databases import service_dsn
from shared.db.migrate import migrate_service
from shared.messaging.outbox import add_event
from shared.messaging.topics import PLATFORM_TEST
from shared.runtime.settings import Settings
from tests.support.platform import MIGRATIONS

KEYS = 100
MAX_EVENTS = 50_000  # the backlog the relay and the consumer drain at full speed (the ceiling moves as many)


def spawn(settings: Settings, role: str, **env: str) -> subprocess.Popen:
    full = {k: v for k, v in os.environ.items() if not k.startswith("ESTATE_")}
    full.update(
        ESTATE_DATABASE_URL=settings.server_dsn(),
        ESTATE_KAFKA=settings.kafka_bootstrap(),
        ESTATE_DB_PREFIX=settings.db_prefix,
        ESTATE_OUTBOX_POLL_SECONDS="0.05",
        ESTATE_LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
        **env,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.platform", role],
        cwd=ROOT,
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def offered_rate(settings: Settings, source: str, prefix: str, rate: int, seconds: float) -> None:
    """Commit one event per transaction at `rate` per second for `seconds`."""
    async with database(settings, source) as conn:
        total, started = int(rate * seconds), time.perf_counter()
        for i in range(total):
            async with conn.transaction():
                await add_event(
                    conn, PLATFORM_TEST, {"key": f"{prefix}-{i % KEYS}", "seq": i // KEYS}, project_id=prefix
                )
            lag = started + (i + 1) / rate - time.perf_counter()
            if lag > 0:
                await asyncio.sleep(lag)


async def preload(settings: Settings, source: str, prefix: str, total: int) -> None:
    async with database(settings, source) as conn:
        for start in range(0, total, 500):
            async with conn.transaction():
                for i in range(start, min(total, start + 500)):
                    await add_event(
                        conn, PLATFORM_TEST, {"key": f"{prefix}-{i % KEYS}", "seq": i // KEYS}, project_id=prefix
                    )


async def latencies(settings: Settings, source: str, sink: str, prefix: str, total: int, timeout: float) -> dict:
    """Wait until all `total` events of `prefix` are applied; commit→apply latencies and throughput."""
    sink_conn = await asyncpg.connect(service_dsn(settings, sink))
    src_conn = await asyncpg.connect(service_dsn(settings, source))
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await sink_conn.fetchval("SELECT count(*) FROM applied WHERE key LIKE $1", f"{prefix}-%") >= total:
                break
            await asyncio.sleep(0.2)
        applied = {
            r["event_id"]: r["applied_at"]
            for r in await sink_conn.fetch("SELECT event_id, applied_at FROM applied WHERE key LIKE $1", f"{prefix}-%")
        }
        rows = await src_conn.fetch(
            "SELECT event_id, created_at, published_at FROM outbox"
            " WHERE convert_from(payload, 'UTF8')::jsonb->>'project_id' = $1",
            prefix,
        )
        created = {r["event_id"]: r["created_at"] for r in rows}
        first_published = min((r["published_at"] for r in rows if r["published_at"]), default=None)
    finally:
        await sink_conn.close()
        await src_conn.close()
    lat = [(applied[e] - created[e]).total_seconds() * 1000 for e in applied if e in created]
    # From the first event in (its commit, or its publication for a preloaded backlog) to the last applied: the
    # shape of the ceiling's figure (first produce to last consume), without the preloading or a process's start.
    start = max(min(created.values()), first_published) if applied and first_published else None
    span = (max(applied.values()) - start).total_seconds() if start else 0
    return {
        "events": total,
        "applied": len(applied),
        "p50_ms": percentile(lat, 50),
        "p99_ms": percentile(lat, 99),
        "events_per_s": round(len(applied) / span, 1) if span else None,
    }


async def ceiling(settings: Settings, total: int = 50_000) -> float:
    """Raw aiokafka: produce `total` ~400-byte messages while a consumer reads them; messages/s end to end."""
    topic = f"bench.ceiling.{uuid.uuid4().hex[:6]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap())
    await admin.start()
    await admin.create_topics([NewTopic(topic, settings.partitions, 1)])
    await admin.close()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=settings.kafka_bootstrap(),
        group_id=f"g-{topic}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap(), enable_idempotence=False, acks="all", linger_ms=2
    )
    await consumer.start()
    await producer.start()
    value = b"x" * 400
    try:
        started = time.perf_counter()

        async def produce() -> None:
            for i in range(total):
                await producer.send(topic, value, key=str(i % KEYS).encode())
            await producer.flush()

        async def consume() -> None:
            seen = 0
            while seen < total:
                for records in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                    seen += len(records)
                await consumer.commit()

        await asyncio.gather(produce(), consume())
        return round(total / (time.perf_counter() - started), 1)
    finally:
        await producer.stop()
        await consumer.stop()


async def run(settings: Settings) -> dict:
    tag = uuid.uuid4().hex[:6]
    source, sink = f"bsrc_{tag}", f"bsink_{tag}"
    for name in (source, sink):
        await migrate_service(settings, name, MIGRATIONS)
    runs = {}
    consumer = spawn(settings, "consume", ESTATE_TEST_SINK=sink)
    relay = spawn(settings, "relay", ESTATE_TEST_SOURCE=source)
    try:
        await offered_rate(settings, source, f"w{tag}", 50, 2)  # warm up: the consumer group joins
        await latencies(settings, source, sink, f"w{tag}", 100, 120)
        for rate in (200, 1000):
            prefix = f"r{rate}{tag}"
            await offered_rate(settings, source, prefix, rate, 10)
            runs[f"rate_{rate}"] = await latencies(settings, source, sink, prefix, rate * 10, 300)
        relay.terminate()
        relay.wait(30)
        await preload(settings, source, f"max{tag}", MAX_EVENTS)
        relay = spawn(settings, "relay", ESTATE_TEST_SOURCE=source)
        runs["max"] = await latencies(settings, source, sink, f"max{tag}", MAX_EVENTS, 600)
    finally:
        for proc in (relay, consumer):
            stop(proc)
    top = await ceiling(settings)
    best = runs["max"]["events_per_s"] or 0
    return {
        "max_events_per_s": best,
        "p50_ms_at_1000": runs["rate_1000"]["p50_ms"],
        "p99_ms_at_1000": runs["rate_1000"]["p99_ms"],
        "p99_ms_at_200": runs["rate_200"]["p99_ms"],
        "ceiling_events_per_s": top,
        "ratio": round(best / top, 3) if top else None,
        "runs": runs,
    }
