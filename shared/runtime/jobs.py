"""Background jobs that wake when they have work (issue 27): a job runs a pass, then sleeps until the next thing it
knows is due, a commit tells it there is something new (PostgreSQL NOTIFY, delivered at commit), or its timer of
seconds runs out, whichever comes first. At rest a job costs one short query per `every` seconds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

import asyncpg

from shared.kernel.clock import now_utc
from shared.runtime.logs import log


class JobHost(Protocol):
    """What a job needs of the process that runs it (the runtime is one): its connection pool."""

    @property
    def pool(self) -> asyncpg.Pool: ...


PeriodicJob = Callable[[JobHost], Awaitable[None]]
Work = Callable[[asyncpg.Connection], Awaitable[int]]
NextDue = Callable[[asyncpg.Connection], Awaitable[datetime | None]]


def periodic(
    name: str,
    every: float,
    work: Work,
    after_pass: Callable[[int], None] | None = None,
    *,
    next_due: NextDue | None = None,
    listen: str | None = None,
) -> PeriodicJob:
    """A durable background job: `work` runs on a pooled connection, again at once while it still finds something
    to do, then waits for the earliest of: `next_due` (when the job's next item falls due), a NOTIFY on `listen`,
    `every` seconds. A failure is logged and the next round tries again."""

    async def job(runtime: JobHost) -> None:
        wake = asyncio.Event()
        listener = _Listener(listen, wake) if listen else None
        try:
            while True:
                wake.clear()  # before the pass: a commit told during it wakes the next wait at once
                await _sleep_or_wake(wake, await _round(runtime, name, work, after_pass, next_due, listener, every))
        finally:
            if listener is not None:
                await listener.drop()

    job.__name__ = name
    return job


async def _round(
    runtime: JobHost,
    name: str,
    work: Work,
    after_pass: Callable[[int], None] | None,
    next_due: NextDue | None,
    listener: _Listener | None,
    every: float,
) -> float:
    """One pass of a job; how long it may sleep afterwards."""
    try:
        if listener is not None:
            await listener.ensure(runtime)
        async with runtime.pool.acquire() as conn:
            total = await _drain(conn, work)
            wait = await _until_due(conn, next_due, every)
        if total:
            log(f"{name}_done", count=total)
        if after_pass is not None:
            after_pass(total)
        return wait
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # the database may be away: the state is in tables, next round catches up
        log(f"{name}_failed", error=repr(exc))
        if listener is not None:
            await listener.drop()
        return every


async def _drain(conn: asyncpg.Connection, work: Work) -> int:
    total = 0
    while (done := await work(conn)) > 0:
        total += done
    return total


async def _until_due(conn: asyncpg.Connection, next_due: NextDue | None, every: float) -> float:
    """Seconds to the next item's due time, at most `every`; `every` when nothing is due later (something due
    already but left by the pass, say in quiet hours, is looked at again on the timer, never in a spin)."""
    if next_due is None or (due := await next_due(conn)) is None:
        return every
    seconds = (due - now_utc()).total_seconds()
    return every if seconds <= 0 else min(every, seconds + 0.01)


async def _sleep_or_wake(wake: asyncio.Event, seconds: float) -> None:
    try:
        await asyncio.wait_for(wake.wait(), seconds)
    except TimeoutError:
        pass


class _Listener:
    """A connection of the pool that LISTENs on one channel for the job's life (taken again if it drops)."""

    def __init__(self, channel: str, wake: asyncio.Event) -> None:
        self.channel, self.wake = channel, wake
        self.conn: Any = None
        self.pool: Any = None

    async def ensure(self, runtime: JobHost) -> None:
        if self.conn is not None and not self.conn.is_closed():
            return
        self.pool = runtime.pool
        self.conn = await self.pool.acquire()
        await self.conn.add_listener(self.channel, self._heard)

    def _heard(self, *_: Any) -> None:
        self.wake.set()

    async def drop(self) -> None:
        conn, self.conn = self.conn, None
        if conn is None:
            return
        try:
            await conn.remove_listener(self.channel, self._heard)
        except Exception:  # the connection is gone already: the pool makes another
            pass
        finally:
            await self.pool.release(conn)


async def keep_trying(
    what: str,
    attempt: Callable[[], Awaitable[Any]],
    delay: float,
    *,
    until_done: bool = False,
    on_failure: Callable[[], None] | None = None,
    **context: Any,
) -> Any:
    """The one reconnect loop: run `attempt` again after each failure (logged as `what` with the error and
    `context`, then `delay` seconds); with `until_done` its first success ends the loop and gives its result,
    without, a loop that returns is simply run again (a relay leading, a listener listening)."""
    while True:
        try:
            result = await attempt()
            if until_done:
                return result
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the database or the broker away: the state is in tables, the next try carries on
            if on_failure is not None:
                on_failure()
            log(what, error=repr(exc)[:300], **context)
            await asyncio.sleep(delay)
