"""Proofs of the delivery machinery on the real broker and PostgreSQL: outbox → broker → inbox."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.db.databases import service_dsn
from shared.db.migrate import migrate_service
from shared.messaging.envelope import new_envelope
from shared.messaging.outbox import replay_service
from shared.messaging.topics import PLATFORM_TEST
from shared.runtime.service import Runtime
from shared.runtime.settings import Settings
from tests.support.delivery import applied, applied_count, out_of_order, running_relay, write_events
from tests.support.platform import MIGRATIONS, sink_spec
from tests.support.polling import async_wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _names() -> tuple[str, str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"src_{tag}", f"sink_{tag}", f"p{tag}"


@asynccontextmanager
async def running_sink(settings: Settings, name: str) -> AsyncIterator[Runtime]:
    """The sink's consumers running in this process against the real broker."""
    runtime = Runtime(sink_spec(name), settings)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


def _process_env(settings: Settings, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ESTATE_DATABASE_URL=settings.server_dsn(),
        ESTATE_KAFKA=settings.kafka_bootstrap(),
        ESTATE_DB_PREFIX=settings.db_prefix,
        ESTATE_OUTBOX_POLL_SECONDS="0.2",
        PYTHONPATH=ROOT,
        **extra,
    )
    return env


def _spawn(settings: Settings, role: str, **extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.support.platform", role],
        cwd=ROOT,
        env=_process_env(settings, **extra),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def _published(settings: Settings, source: str) -> int:
    conn = await asyncpg.connect(service_dsn(settings, source))
    try:
        return await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL")
    finally:
        await conn.close()


async def test_ten_thousand_events_over_100_keys_arrive_in_order_per_key(settings: Settings) -> None:
    source, sink, prefix = _names()
    await migrate_service(settings, source, MIGRATIONS)
    await migrate_service(settings, sink, MIGRATIONS)
    total = await write_events(service_dsn(settings, source), prefix, keys=100, per_key=100)
    async with running_sink(settings, sink), running_relay(settings, source):
        await async_wait_for(lambda: _count_is(settings, sink, prefix, total), timeout=240)
    rows = await applied(service_dsn(settings, sink), prefix)
    assert len(rows) == 10_000
    assert out_of_order(rows) == []


async def _count_is(settings: Settings, sink: str, prefix: str, total: int) -> bool:
    return await applied_count(service_dsn(settings, sink), prefix) >= total


async def test_relay_killed_with_sigkill_mid_stream_loses_nothing_and_keeps_order(settings: Settings) -> None:
    source, sink, prefix = _names()
    await migrate_service(settings, source, MIGRATIONS)
    await migrate_service(settings, sink, MIGRATIONS)
    total = await write_events(service_dsn(settings, source), prefix, keys=20, per_key=150)
    relay = _spawn(settings, "relay", ESTATE_TEST_SOURCE=source, ESTATE_OUTBOX_BATCH_SIZE="20")
    try:
        await async_wait_for(lambda: _published_at_least(settings, source, 200), timeout=60)
        relay.send_signal(signal.SIGKILL)
        relay.wait(10)
        assert await _published(settings, source) < total, "the relay finished before it could be killed"
        relay = _spawn(settings, "relay", ESTATE_TEST_SOURCE=source)
        async with running_sink(settings, sink):
            await async_wait_for(lambda: _count_is(settings, sink, prefix, total), timeout=120)
    finally:
        relay.kill()
        relay.wait(10)
    rows = await applied(service_dsn(settings, sink), prefix)
    assert len(rows) == total
    assert out_of_order(rows) == []


async def _published_at_least(settings: Settings, source: str, n: int) -> bool:
    return await _published(settings, source) >= n


async def _send_raw(settings: Settings, *values: bytes, key: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap(), enable_idempotence=False)
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(PLATFORM_TEST.name, value, key=key)
    finally:
        await producer.stop()


def _event(prefix: str, seq: int, **extra: object) -> bytes:
    return new_envelope(
        PLATFORM_TEST.event_type, {"key": f"{prefix}-0", "seq": seq, **extra}, producer="platform", project_id=prefix
    ).to_bytes()


async def test_the_same_event_delivered_twice_is_applied_once(settings: Settings) -> None:
    _, sink, prefix = _names()
    await migrate_service(settings, sink, MIGRATIONS)
    first, marker = _event(prefix, 0), _event(prefix, 1)
    async with running_sink(settings, sink):
        await _send_raw(settings, first, first, marker, key=prefix.encode())
        await async_wait_for(lambda: _count_is(settings, sink, prefix, 2), timeout=60)
        await _send_raw(settings, first, key=prefix.encode())  # and once more, long after
        await _send_raw(settings, _event(prefix, 2), key=prefix.encode())
        await async_wait_for(lambda: _count_is(settings, sink, prefix, 3), timeout=60)
    rows = await applied(service_dsn(settings, sink), prefix)
    assert [r["seq"] for r in rows] == [0, 1, 2]


async def _dlq_messages(settings: Settings, wanted: set[bytes], timeout: float = 60) -> dict[bytes, dict[str, bytes]]:
    """Read `<topic>.dlq` from the start until every wanted value is found; value → headers."""
    consumer = AIOKafkaConsumer(
        PLATFORM_TEST.dlq,
        bootstrap_servers=settings.kafka_bootstrap(),
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found: dict[bytes, dict[str, bytes]] = {}
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while set(found) != wanted and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    if record.value in wanted:
                        found[record.value] = dict(record.headers)
    finally:
        await consumer.stop()
    return found


async def test_poison_message_goes_to_dlq_and_the_next_message_is_processed(settings: Settings) -> None:
    _, sink, prefix = _names()
    await migrate_service(settings, sink, MIGRATIONS)
    garbage = f"not json at all {prefix}".encode()
    invalid = new_envelope(
        PLATFORM_TEST.event_type, {"key": f"{prefix}-0"}, producer="platform", project_id=prefix
    ).to_bytes()  # envelope fine, data lacks seq
    failing = _event(prefix, 99, fail=True)
    async with running_sink(settings, sink):
        await _send_raw(settings, garbage, invalid, failing, _event(prefix, 0), key=prefix.encode())
        await async_wait_for(lambda: _count_is(settings, sink, prefix, 1), timeout=60)
        dead = await _dlq_messages(settings, {garbage, invalid, failing})
    assert dead[garbage]["x-dlq-reason"] == b"invalid_message"
    assert dead[invalid]["x-dlq-reason"] == b"invalid_message"
    assert dead[failing]["x-dlq-reason"] == b"handler_failed"
    assert dead[garbage]["x-original-topic"] == PLATFORM_TEST.name.encode()
    assert [r["seq"] for r in await applied(service_dsn(settings, sink), prefix)] == [0]


async def _stalled_in_handler(settings: Settings, sink: str) -> bool:
    conn = await asyncpg.connect(settings.server_dsn())
    try:
        return bool(
            await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND state = 'idle in transaction'",
                f"{settings.db_prefix}{sink}",
            )
        )
    finally:
        await conn.close()


async def test_consumer_killed_mid_handler_gets_the_event_again_and_applies_it_once(settings: Settings) -> None:
    _, sink, prefix = _names()
    await migrate_service(settings, sink, MIGRATIONS)
    consumer = _spawn(settings, "consume", ESTATE_TEST_SINK=sink, ESTATE_TEST_STALL="1")
    try:
        await _send_raw(settings, _event(prefix, 0, stall=True), key=prefix.encode())
        await async_wait_for(lambda: _stalled_in_handler(settings, sink), timeout=90)
        consumer.send_signal(signal.SIGKILL)
        consumer.wait(10)
        assert await applied_count(service_dsn(settings, sink), prefix) == 0
        consumer = _spawn(settings, "consume", ESTATE_TEST_SINK=sink)
        await async_wait_for(lambda: _count_is(settings, sink, prefix, 1), timeout=120)
        await _send_raw(settings, _event(prefix, 1), key=prefix.encode())
        await async_wait_for(lambda: _count_is(settings, sink, prefix, 2), timeout=60)
    finally:
        consumer.kill()
        consumer.wait(10)
    assert [r["seq"] for r in await applied(service_dsn(settings, sink), prefix)] == [0, 1]


async def test_outbox_replay_publishes_again_and_consumers_apply_nothing_twice(settings: Settings) -> None:
    from shared.runtime import metrics

    source, sink, prefix = _names()
    await migrate_service(settings, source, MIGRATIONS)
    await migrate_service(settings, sink, MIGRATIONS)
    since = datetime.now(UTC) - timedelta(seconds=1)
    await write_events(service_dsn(settings, source), prefix, keys=5, per_key=10)
    duplicates = metrics.EVENTS_CONSUMED.labels(sink, PLATFORM_TEST.name, "duplicate")
    async with running_sink(settings, sink), running_relay(settings, source):
        await async_wait_for(lambda: _count_is(settings, sink, prefix, 50), timeout=60)
        before = duplicates._value.get()
        assert await replay_service(settings, source, since) == 50  # what `estate outbox replay` calls
        await async_wait_for(lambda: duplicates._value.get() - before >= 50, timeout=60, what="replayed events seen")
    rows = await applied(service_dsn(settings, sink), prefix)
    assert len(rows) == 50 and out_of_order(rows) == []


async def test_outbox_replay_command_checks_its_arguments(settings: Settings) -> None:
    await migrate_service(settings, "inventory")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "shared.tools.cli", "outbox", "replay", *args],
            cwd=ROOT,
            env=_process_env(settings),
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert run("--service", "nope", "--since", "2026-11-23T08:00:00+08:00").returncode == 2
    assert run("--service", "inventory", "--since", "2026-11-23T08:00:00").returncode == 2  # no offset
    ok = run("--service", "inventory", "--since", "2999-01-01T00:00:00+08:00")
    assert ok.returncode == 0 and "0 event(s) of inventory" in ok.stdout, ok.stderr
