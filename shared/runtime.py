"""One runtime for every service: pool, migrations, relay, consumers, background jobs and HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from fastapi import APIRouter

from shared import metrics
from shared.catalogue import Topic
from shared.consuming import build_broker, watch_lag
from shared.db import POOL_MIN_SIZE, ConnectionInit, create_pool, migrate_service, service_dsn
from shared.idempotency import purge_expired
from shared.inbox import Handler, Inbox
from shared.kafka import broker_answers, make_producer, start_broker
from shared.logs import log
from shared.outbox import OutboxRelay
from shared.settings import Settings

Job = Callable[["Runtime"], Awaitable[None]]
SHUTDOWN_SECONDS = 10.0


@dataclass
class ServiceSpec:
    """What a service is made of; each service's app.py builds one."""

    name: str
    routers: list[APIRouter] = field(default_factory=list)
    handlers: dict[Topic, Handler] = field(default_factory=dict)
    publishes: tuple[Topic, ...] = ()
    jobs: list[Job] = field(default_factory=list)
    description: str = ""
    migrations: Path | None = None  # default: services/<name>/migrations
    hot_routes: list[Any] = field(default_factory=list)  # shared.hot.HotRoute: answered before the framework
    pool_min_size: int = POOL_MIN_SIZE  # connections kept open (a storm-prone service keeps more, ready)
    warm_connection: ConnectionInit | None = None  # readies each new pooled connection (hot statements prepared)


class Runtime:
    """The live pieces of one service process."""

    def __init__(self, spec: ServiceSpec, settings: Settings) -> None:
        self.spec, self.settings = spec, settings
        self._pool: asyncpg.Pool | None = None
        self.producer: Any = None  # aiokafka needs a running loop: made in start()
        self.broker = build_broker(spec, settings, self)
        self._inbox: Inbox | None = None
        self._tasks: list[asyncio.Task] = []
        self.joined: set[str] = set()  # topics whose consumer group has assigned this process its partitions

    @property
    def pool(self) -> asyncpg.Pool:
        """The service's connection pool, once started."""
        if self._pool is None:
            raise RuntimeError(f"{self.spec.name}: the runtime has not started")
        return self._pool

    @property
    def inbox(self) -> Inbox:
        """The consumers' inbox, once started."""
        if self._inbox is None:
            raise RuntimeError(f"{self.spec.name}: the runtime has not started")
        return self._inbox

    @property
    def dsn(self) -> str:
        return service_dsn(self.settings, self.spec.name)

    async def start(self) -> None:
        """Migrate, connect, then start relay, consumers and jobs (the broker may still be away)."""
        await migrate_service(self.settings, self.spec.name, self.spec.migrations)
        self.producer = make_producer(self.settings)
        warm = self.settings.warm_pool
        self._pool = await create_pool(
            self.dsn,
            min_size=self.spec.pool_min_size if warm else POOL_MIN_SIZE,
            reset_query=self.settings.pool_reset_query,
            warm=self.spec.warm_connection if warm else None,
        )
        retries = self.settings.consumer_max_retries, self.settings.consumer_retry_backoff_seconds
        self._inbox = Inbox(
            self.spec.name, self._pool, self.producer, max_retries=retries[0], backoff_seconds=retries[1]
        )
        self._spawn(self._start_messaging(OutboxRelay.for_service(self.settings, self.spec.name, self.producer)))
        ttl = self.settings.idempotency_ttl_hours
        self._spawn(periodic("idempotency_purge", 600.0, lambda conn: purge_expired(conn, ttl))(self))
        for job in self.spec.jobs:
            self._spawn(job(self))

    async def _start_messaging(self, relay: OutboxRelay) -> None:
        await retry_forever("producer_start", self.producer.start)
        self._spawn(relay.run())
        if self.spec.handlers and self.settings.consumers_enabled:
            await retry_forever("broker_start", lambda: start_broker(self.broker))
        self._spawn(watch_lag(self))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        self._tasks.append(asyncio.ensure_future(coro))

    async def stop(self) -> None:
        """Cancel jobs, stop consumers (no commit of unprocessed messages), close producer and pool.

        Every await has a deadline: a broker or database that does not answer makes a slow stop, never a hang."""
        for task in self._tasks:
            task.cancel()
        await _bounded("jobs", asyncio.gather(*self._tasks, return_exceptions=True))
        await _bounded("broker", self.broker.stop())
        if self.producer is not None:
            await _bounded("producer", self.producer.stop())
        if self._pool is not None:
            await _bounded("pool", self._pool.close(), on_timeout=self._pool.terminate)

    def consumers_ready(self) -> bool:
        """Every consumer has joined its group (until then the first events would wait seconds)."""
        if not (self.spec.handlers and self.settings.consumers_enabled):
            return True
        return self.joined >= {topic.name for topic in self.spec.handlers}

    async def health(self) -> tuple[bool, dict[str, str]]:
        """Database and broker reachability, each with a reason when not."""
        checks: dict[str, str] = {}
        try:
            await asyncio.wait_for(self.pool.fetchval("SELECT 1"), 2.0)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {exc!r}"[:200]
        checks["broker"] = "ok" if await broker_answers(self.producer, self.settings) else "unreachable"
        for dep, state in checks.items():
            metrics.DEPENDENCY_UP.labels(self.spec.name, dep).set(1 if state == "ok" else 0)
        return all(v == "ok" for v in checks.values()), checks


async def _bounded(
    what: str, awaitable: Awaitable[Any], seconds: float = SHUTDOWN_SECONDS, on_timeout: Callable[[], Any] | None = None
) -> None:
    """Await one step of a shutdown for at most `seconds`; log and go on when it fails or hangs."""
    try:
        await asyncio.wait_for(awaitable, seconds)
    except TimeoutError:
        log(f"shutdown_step_timed_out: {what}", what=what, seconds=seconds, level=30)
        if on_timeout is not None:
            on_timeout()
    except Exception as exc:
        log("shutdown_step_failed", what=what, error=repr(exc)[:300])


def periodic(
    name: str,
    every: float,
    work: Callable[[asyncpg.Connection], Awaitable[int]],
    after_pass: Callable[[int], None] | None = None,
) -> Job:
    """A durable background job: `work` runs on a pooled connection every `every` seconds, again at once
    while it still finds something to do; a failure is logged and the next round tries again."""

    async def job(runtime: Runtime) -> None:
        while True:
            try:
                total = 0
                async with runtime.pool.acquire() as conn:
                    while (done := await work(conn)) > 0:
                        total += done
                if total:
                    log(f"{name}_done", count=total)
                if after_pass is not None:
                    after_pass(total)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database may be away: the state is in tables, next round catches up
                log(f"{name}_failed", error=repr(exc))
            await asyncio.sleep(every)

    job.__name__ = name
    return job


async def retry_forever(what: str, start: Callable[[], Awaitable[Any]], delay: float = 1.0) -> None:
    """Keep trying to start a dependency; a service comes up even while the broker is away."""
    while True:
        try:
            await start()
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log("dependency_start_failed", what=what, error=repr(exc))
            await asyncio.sleep(delay)
