"""A minimal service used to prove the delivery machinery: it consumes the platform test topic.

Run as a process: `python -m tests.support.platform consume|relay` with ESTATE_* variables set,
plus ESTATE_TEST_SOURCE (database service name whose outbox the relay publishes) and
ESTATE_TEST_SINK (database service name of the consumer).
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import asyncpg

from shared.messaging.envelope import Envelope
from shared.messaging.inbox import applies_batches
from shared.messaging.topics import PLATFORM_TEST
from shared.runtime.service import ServiceSpec

MIGRATIONS = Path(__file__).parent / "migrations"


async def on_test_events(conn: asyncpg.Connection, events: list) -> None:
    """The batch form: every event of a batch in one statement, in order (unless one stalls or fails: one by one)."""
    if any((data.model_extra or {}).get("stall") or (data.model_extra or {}).get("fail") for _, data in events):
        for env, data in events:
            await on_test_event(conn, env, data)
        return
    await conn.execute(
        "INSERT INTO applied (event_id, key, seq) SELECT event_id, key, seq"
        " FROM unnest($1::uuid[], $2::text[], $3::int[]) WITH ORDINALITY AS e(event_id, key, seq, n) ORDER BY n",
        [env.id for env, _ in events],
        [data.key for _, data in events],
        [data.seq for _, data in events],
    )


@applies_batches(on_test_events)
async def on_test_event(conn: asyncpg.Connection, env: Envelope, data) -> None:
    """Apply one test event; `stall` hangs inside the transaction where ESTATE_TEST_STALL is set; `fail` raises."""
    extra = data.model_extra or {}
    if extra.get("stall") and os.environ.get("ESTATE_TEST_STALL"):
        await asyncio.sleep(3600)
    if extra.get("fail"):
        raise ValueError("this test event is made to fail")
    await conn.execute("INSERT INTO applied (event_id, key, seq) VALUES ($1, $2, $3)", env.id, data.key, data.seq)


def sink_spec(name: str) -> ServiceSpec:
    """A consumer of the platform test topic that records what it applied."""
    return ServiceSpec(name=name, handlers={PLATFORM_TEST: on_test_event}, migrations=MIGRATIONS)


def source_spec(name: str, consumers: tuple[str, ...] = ()) -> ServiceSpec:
    """A producer-only service (outbox + relay) for the platform test topic; `consumers` are the services that
    must read an event before the broker may lose it (the sinks' names)."""
    return ServiceSpec(
        name=name, publishes=(PLATFORM_TEST,), migrations=MIGRATIONS, consumers_of=lambda _topic: consumers
    )


def main(argv: list[str]) -> None:
    from shared.runtime import logs
    from shared.runtime.settings import Settings
    from shared.runtime.standalone import run_consumers, run_relay

    settings = Settings()
    logs.configure("platform-test", "INFO")
    if argv[0] == "relay":
        asyncio.run(run_relay(settings, os.environ["ESTATE_TEST_SOURCE"]))
    else:
        asyncio.run(run_consumers(sink_spec(os.environ["ESTATE_TEST_SINK"]), settings))


if __name__ == "__main__":
    main(sys.argv[1:])
