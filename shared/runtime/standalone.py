"""Run one piece of a service on its own: the outbox relay, or the consumers without HTTP.

`estate relay SERVICE` uses this; so do the delivery tests that SIGKILL a relay or a consumer.
"""

from __future__ import annotations

import asyncio
import signal

from shared.messaging.kafka import make_producer
from shared.messaging.relay import OutboxRelay
from shared.runtime.logs import log
from shared.runtime.service import Runtime, ServiceSpec
from shared.runtime.settings import Settings


async def run_relay(settings: Settings, service: str) -> None:
    """Publish `service`'s outbox until SIGTERM/SIGINT."""
    producer = make_producer(settings)
    await producer.start()
    relay = OutboxRelay.for_service(settings, service, producer)
    task = asyncio.ensure_future(relay.run())
    try:
        await _until_signalled()
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await producer.stop()


async def run_consumers(spec: ServiceSpec, settings: Settings) -> None:
    """Run a service's relay, consumers and jobs (no HTTP) until SIGTERM/SIGINT (Runtime.start migrates, once)."""
    runtime = Runtime(spec, settings)
    await runtime.start()
    log("consumers_started", service=spec.name)
    try:
        await _until_signalled()
    finally:
        await runtime.stop()


async def _until_signalled() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
