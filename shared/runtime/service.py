"""One runtime for every service: pool, migrations, relay, consumers, background jobs and HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from fastapi import APIRouter

from shared.db.databases import service_dsn
from shared.db.migrate import migrate_service
from shared.db.pool import POOL_MIN_SIZE, ConnectionInit, create_pool
from shared.http.idempotency import purge_expired
from shared.http.operations import Roles
from shared.messaging.consuming import ServiceConsumer, group_id
from shared.messaging.inbox import Handler, Inbox
from shared.messaging.kafka import make_producer
from shared.messaging.redelivery import BrokerAdmin, ConsumersOf, Custody, replay_state
from shared.messaging.relay import OutboxRelay
from shared.messaging.topics import Topic, consumers_of
from shared.runtime import metrics
from shared.runtime.jobs import keep_trying, periodic
from shared.runtime.logs import log
from shared.runtime.settings import Settings
from shared.trust.orgs import projects_under

Job = Callable[["Runtime"], Awaitable[None]]  # a background job of a service (`periodic` makes most of them)
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
    consumers_of: ConsumersOf | None = None  # who must read a published event before the broker may lose it
    roles: Roles = field(default_factory=dict)  # who may call each route: `x-roles` in the OpenAPI document


class Runtime:
    """The live pieces of one service process."""

    def __init__(self, spec: ServiceSpec, settings: Settings) -> None:
        self.spec, self.settings = spec, settings
        self.joined: set[str] = set()  # topics whose consumer group has assigned this process its partitions
        self._pool: asyncpg.Pool | None = None
        self.producer: Any = None  # aiokafka needs a running loop: made in start()
        self.admin = BrokerAdmin(settings.kafka_bootstrap(), settings.partitions, settings.replication_factor)
        self.consumer = ServiceConsumer(spec, settings, lambda: self.inbox, self.joined.update)
        self._inbox: Inbox | None = None
        self._tasks: list[asyncio.Task] = []
        self.cluster_id: str | None = None  # the broker as this process last saw it

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
        self._spawn(
            self._start_messaging(
                OutboxRelay.for_service(self.settings, self.spec.name, self.producer, self._custody())
            )
        )
        ttl = self.settings.idempotency_ttl_hours
        self._spawn(periodic("idempotency_purge", 600.0, lambda conn: purge_expired(conn, ttl))(self))
        for job in self.spec.jobs:
            self._spawn(job(self))

    def _custody(self) -> Custody:
        """The relay's watch over what the broker holds (consumers from the catalogue unless the spec says)."""
        return Custody(
            self.spec.name,
            self.admin,
            lambda service: group_id(self.settings, service),
            check_seconds=self.settings.broker_check_seconds,
            consumers=self.spec.consumers_of or consumers_of,
        )

    async def _start_messaging(self, relay: OutboxRelay) -> None:
        await retry_forever("producer_start", self.producer.start)
        self._spawn(relay.run())
        if self.spec.handlers and self.settings.consumers_enabled:
            await retry_forever("consumer_start", self.consumer.start)
            self._spawn(self.consumer.run())
        self._spawn(self._watch_broker())

    async def _watch_broker(self) -> None:
        """Every few seconds: consumer lag, and who the broker is; a broker that lost its log means reading
        every partition again from the start of the new one (the inbox drops what was applied)."""
        rounds = 0
        while True:
            await asyncio.sleep(self.settings.broker_check_seconds)
            rounds += 1
            try:
                identity = await asyncio.wait_for(self.admin.identity(), 5.0)
            except Exception:
                continue  # away: /health says so; the next round looks again
            if self.cluster_id is not None and identity.cluster_id != self.cluster_id:
                log("broker_replaced", service=self.spec.name, was=self.cluster_id, now=identity.cluster_id)
                await self.consumer.rewind()
            self.cluster_id = identity.cluster_id
            try:
                await self.consumer.observe_lag()
                if rounds % 2 == 0:  # keeps estate_dependency_up current even when nobody asks /health
                    await self.health()
            except Exception as exc:
                log("broker_watch_failed", service=self.spec.name, error=repr(exc)[:300])

    def _spawn(self, coro: Awaitable[Any]) -> None:
        self._tasks.append(asyncio.ensure_future(coro))

    async def stop(self) -> None:
        """Cancel jobs, stop consumers (no commit of unprocessed messages), close producer and pool.

        Every await has a deadline: a broker or database that does not answer makes a slow stop, never a hang."""
        for task in self._tasks:
            task.cancel()
        await _bounded("jobs", asyncio.gather(*self._tasks, return_exceptions=True))
        await _bounded("consumer", self.consumer.stop())
        await _bounded("admin", self.admin.close())
        if self.producer is not None:
            await _bounded("producer", self.producer.stop())
        if self._pool is not None:
            await _bounded("pool", self._pool.close(), on_timeout=self._pool.terminate)

    async def reach(self, orgs: frozenset[str]) -> frozenset[str]:
        """The projects under these org units, as this service knows the group's tree now."""
        async with self.pool.acquire() as conn:
            return await projects_under(conn, orgs)

    def consumers_ready(self) -> bool:
        """Every consumer has joined its group (until then the first events would wait seconds)."""
        if not (self.spec.handlers and self.settings.consumers_enabled):
            return True
        return self.joined >= {topic.name for topic in self.spec.handlers}

    async def health(self) -> tuple[bool, dict[str, str]]:
        """Database and broker, each with a reason when not ok: unreachable, or a broker that lost our events and
        has not had them back yet."""
        checks: dict[str, str] = {}
        replaying, recorded = None, None
        try:
            async with self.pool.acquire() as conn:
                replaying, recorded = await asyncio.wait_for(replay_state(conn), 2.0)
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {exc!r}"[:200]
        try:
            identity = await asyncio.wait_for(self.admin.identity(), 1.5)
        except Exception:
            checks["broker"] = "unreachable"
        else:
            lost = recorded is not None and identity.cluster_id != recorded
            checks["broker"] = replaying or ("replaced: recovery pending" if lost else "ok")
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


async def retry_forever(what: str, start: Callable[[], Awaitable[Any]], delay: float = 1.0) -> None:
    """Keep trying to start a dependency; a service comes up even while the broker is away."""
    await keep_trying("dependency_start_failed", start, delay, until_done=True, dependency=what)
