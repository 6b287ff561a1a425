"""Issue 23, scale-out proven: three consumer replicas of one service share a topic's partitions; one is killed
with SIGKILL in the middle of a stream and another started. Nothing is lost, nothing applied twice, and every
key's events are applied in their order (the checker reads the applied rows). `make bench` runs the same at full
size (bench/scale_out.py)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from shared.db.databases import service_dsn
from shared.db.migrate import migrate_service
from shared.messaging.consuming import group_id
from shared.runtime.settings import Settings
from tests.support.delivery import applied_count, audit, running_relay, write_events
from tests.support.platform import MIGRATIONS
from tests.support.polling import async_wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
KEYS, PER_KEY = 100, 40  # 4,000 events over 100 keys (the bench: 100,000 over 1,000)


def replica(settings: Settings, sink: str) -> subprocess.Popen:
    """`estate consume` of the sink service as its own process: one consumer, group `estate.<sink>`."""
    env = dict(os.environ)
    env.update(
        ESTATE_DATABASE_URL=settings.server_dsn(),
        ESTATE_KAFKA=settings.kafka_bootstrap(),
        ESTATE_DB_PREFIX=settings.db_prefix,
        ESTATE_TEST_SINK=sink,
        ESTATE_CONSUMER_BATCH_SIZE="50",  # small batches: the kill lands between and inside them
        PYTHONPATH=ROOT,
    )
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.platform", "consume"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def members(settings: Settings, sink: str) -> int:
    """How many members the sink's consumer group has now (0 while it is rebalancing)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap())
    await admin.start()
    try:
        answer = await admin.describe_consumer_groups([group_id(settings, sink)])
        groups = [g for response in answer for g in response.groups]  # (error, id, state, type, protocol, members)
        return sum(len(g[5]) for g in groups if g[2] == "Stable")
    finally:
        await admin.close()


@pytest.mark.timeout(600)
async def test_three_replicas_one_killed_and_replaced_lose_nothing_double_nothing_and_keep_order(
    settings: Settings,
) -> None:
    tag = uuid.uuid4().hex[:8]
    source, sink, prefix = f"src_{tag}", f"sink_{tag}", f"p{tag}"
    for name in (source, sink):
        await migrate_service(settings, name, MIGRATIONS)
    replicas = [replica(settings, sink) for _ in range(3)]
    try:
        await async_wait_for(lambda: _members_are(settings, sink, 3), timeout=120, interval=0.5, what="3 members")
        total = KEYS * PER_KEY
        async with running_relay(settings, source):
            writing = asyncio.ensure_future(write_events(service_dsn(settings, source), prefix, KEYS, PER_KEY))
            sink_dsn = service_dsn(settings, sink)
            await async_wait_for(lambda: _applied_past(sink_dsn, prefix, total // 4), timeout=120, what="a quarter")
            replicas[0].kill()  # SIGKILL: no goodbye to the group, its open transaction aborted by PostgreSQL
            replicas[0].wait(10)
            replicas.append(replica(settings, sink))
            assert await applied_count(sink_dsn, prefix) < total, "the stream ended before the kill"
            await writing
            await async_wait_for(lambda: _applied_past(sink_dsn, prefix, total), timeout=240, what="every event")
        checked = await audit(sink_dsn, prefix, total)
        assert checked == {"applied": total, "lost": 0, "applied_twice": 0, "keys_out_of_order": 0}, checked
        await async_wait_for(
            lambda: _members_are(settings, sink, 3), timeout=120, interval=0.5, what="the new one joined"
        )
    finally:
        for proc in replicas:
            proc.kill()
            proc.wait(10)


async def _members_are(settings: Settings, sink: str, count: int) -> bool:
    return await members(settings, sink) == count


async def _applied_past(dsn: str, prefix: str, count: int) -> bool:
    return await applied_count(dsn, prefix) >= count
