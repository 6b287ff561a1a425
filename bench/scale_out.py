"""Scale-out at full size (issue 23): 100,000 events over 1,000 keys written while three consumer replicas of one
service (`estate consume`, one consumer each, group `estate.<service>`) share the topic's partitions; a third of the
way in one replica is killed with SIGKILL and another started. The checker reads the applied rows: events lost,
applied twice, keys out of order (all three must be 0). The suite runs the same at a small size
(tests/integration/test_scale_out.py)."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from typing import Any

from bench.infra import stop
from bench.pipeline import spawn
from shared.db.databases import service_dsn
from shared.db.migrate import migrate_service
from shared.runtime.settings import Settings
from tests.support.delivery import applied_count, audit, write_events
from tests.support.platform import MIGRATIONS

EVENTS = int(os.environ.get("ESTATE_BENCH_SCALE_OUT_EVENTS", "100000"))
KEYS = 1_000


async def run(settings: Settings) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6]
    source, sink, prefix = f"osrc_{tag}", f"osink_{tag}", f"o{tag}"
    for name in (source, sink):
        await migrate_service(settings, name, MIGRATIONS)
    replicas = [spawn(settings, "consume", ESTATE_TEST_SINK=sink) for _ in range(3)]
    relay = spawn(settings, "relay", ESTATE_TEST_SOURCE=source)
    sink_dsn, total = service_dsn(settings, sink), KEYS * (EVENTS // KEYS)
    began = time.perf_counter()
    try:
        writing = asyncio.ensure_future(write_events(service_dsn(settings, source), prefix, KEYS, EVENTS // KEYS))
        killed_at = await _until(sink_dsn, prefix, total // 3, 900)
        replicas[0].kill()  # SIGKILL: no goodbye to the group; its open transaction is aborted by PostgreSQL
        replicas[0].wait(10)
        replicas.append(spawn(settings, "consume", ESTATE_TEST_SINK=sink))
        await writing
        await _until(sink_dsn, prefix, total, 1800)
        seconds = time.perf_counter() - began
    finally:
        for proc in [relay, *replicas]:
            stop(proc)
    checked = await audit(sink_dsn, prefix, total)
    shape = {"events": total, "keys": KEYS, "replicas": 3, "killed_after_applied": killed_at}
    return shape | {"seconds": round(seconds, 1)} | checked


async def _until(dsn: str, prefix: str, count: int, timeout: float) -> int:
    """Wait until `count` events of `prefix` are applied (bounded); how many were when it returned."""
    deadline = time.monotonic() + timeout
    while (now := await applied_count(dsn, prefix)) < count and time.monotonic() < deadline:
        await asyncio.sleep(0.5)
    return now
