"""Waking idle consumers on one machine (issue 27).

The embedded broker's long poll does not return when a message arrives: a fetch makes it scan the fetched topics,
sleep what is left of the wait (half of it, when that is long), and scan again. Every fetch costs the broker the
same whether it finds anything or not, and latency is the wait. Four services fetching every 100 ms kept half a
core busy at rest; a doorbell topic that each service read was still a broker fetch per service every few tens of
milliseconds.

Under `estate up` every service is a child of one supervisor, so the supervisor is the doorbell. A relay that has
just published tells its parent (SIGUSR1); the parent tells its children; a child whose consumer dozes wakes it,
and the fetch that follows finds the events at once. A consumer dozes, its partitions paused, after a moment
without records; it also wakes on its own now and then (`consumer_safety_seconds`), so a lost signal costs a
delay, never an event. The signal carries nothing: events travel through Kafka only.

Everywhere else (`estate serve`, tests, production on Apache Kafka, whose long poll returns as soon as data
arrives) `consumer_wake` is `fetch`: the consumer keeps fetching with `consumer_fetch_wait_ms`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

from shared.runtime.settings import Settings

WAKE_SIGNAL = signal.SIGUSR1


def supervised(settings: Settings) -> bool:
    """Whether this process runs under `estate up`'s supervisor, which forwards wake-ups to its children."""
    return settings.consumer_wake == "supervisor" and settings.supervisor_pid == os.getppid()


def tell_supervisor(settings: Settings) -> None:
    """Events were published: the supervisor wakes every service (a no-op outside `estate up`)."""
    if supervised(settings):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(os.getppid(), WAKE_SIGNAL)


def ignore_wakeups() -> None:
    """For a child about to start: a wake-up before it listens is ignored, not fatal (SIGUSR1 terminates by
    default). The disposition survives exec; the service installs its handler once it runs."""
    signal.signal(WAKE_SIGNAL, signal.SIG_IGN)


class Wakeup:
    """The wake-ups a dozing consumer waits for: the supervisor's signal, or a nudge from within the process."""

    def __init__(self) -> None:
        self.rung = asyncio.Event()

    def listen(self) -> None:
        """Hear the supervisor's signal (call from the running loop)."""
        asyncio.get_running_loop().add_signal_handler(WAKE_SIGNAL, self.rung.set)

    def ring(self) -> None:
        self.rung.set()

    async def wait(self, seconds: float) -> bool:
        """Until a wake-up (True) or `seconds` (False)."""
        try:
            await asyncio.wait_for(self.rung.wait(), seconds)
            return True
        except TimeoutError:
            return False
        finally:
            self.rung.clear()
