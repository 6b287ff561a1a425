"""One runtime for every service: pool, migrations, relay, consumers, background jobs and HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable

import asyncpg
import uvicorn
from aiokafka import ConsumerRebalanceListener
from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.specification import AsyncAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared import logs, metrics
from shared.catalogue import Topic
from shared.db import create_pool, migrate_service, service_dsn
from shared.inbox import Delivery, Handler, Inbox
from shared.kafka import broker_answers, make_producer, start_broker
from shared.logs import log
from shared.outbox import OutboxRelay
from shared.settings import Settings, get_settings
from shared.idempotency import IdempotentPosts, purge_expired
from shared.middleware import InputGuard, ObservedApp
from shared.web import ERROR_RESPONSES, document_errors, install_error_handlers

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


class Runtime:
    """The live pieces of one service process."""

    def __init__(self, spec: ServiceSpec, settings: Settings) -> None:
        self.spec, self.settings = spec, settings
        self.pool: asyncpg.Pool | None = None
        self.producer: Any = None  # aiokafka needs a running loop: made in start()
        self.broker = build_broker(spec, settings, self)
        self.inbox: Inbox | None = None
        self.relay: OutboxRelay | None = None
        self._tasks: list[asyncio.Task] = []
        self.joined: set[str] = set()  # topics whose consumer group has assigned this process its partitions

    @property
    def dsn(self) -> str:
        return service_dsn(self.settings, self.spec.name)

    async def start(self) -> None:
        """Migrate, connect, then start relay, consumers and jobs (the broker may still be away)."""
        await migrate_service(self.settings, self.spec.name, self.spec.migrations)
        self.producer = make_producer(self.settings)
        self.pool = await create_pool(self.dsn)
        self.inbox = Inbox(self.spec.name, self.pool, self.producer, max_retries=self.settings.consumer_max_retries,
                           backoff_seconds=self.settings.consumer_retry_backoff_seconds)
        self.relay = OutboxRelay.for_service(self.settings, self.spec.name, self.producer)
        self._spawn(self._start_messaging())
        ttl = self.settings.idempotency_ttl_hours
        self._spawn(periodic("idempotency_purge", 600.0, lambda conn: purge_expired(conn, ttl))(self))
        for job in self.spec.jobs:
            self._spawn(job(self))

    async def _start_messaging(self) -> None:
        await retry_forever("producer_start", self.producer.start)
        self._spawn(self.relay.run())
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
        if self.pool is not None:
            await _bounded("pool", self.pool.close(), on_timeout=self.pool.terminate)

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


async def _bounded(what: str, awaitable: Awaitable[Any], seconds: float = SHUTDOWN_SECONDS,
                   on_timeout: Callable[[], Any] | None = None) -> None:
    """Await one step of a shutdown for at most `seconds`; log and go on when it fails or hangs."""
    try:
        await asyncio.wait_for(awaitable, seconds)
    except asyncio.TimeoutError:
        log(f"shutdown_step_timed_out: {what}", what=what, seconds=seconds, level=30)
        if on_timeout is not None:
            on_timeout()
    except Exception as exc:  # noqa: BLE001 — stopping goes on whatever one step says
        log("shutdown_step_failed", what=what, error=repr(exc)[:300])


def periodic(name: str, every: float, work: Callable[[asyncpg.Connection], Awaitable[int]],
             after_pass: Callable[[int], None] | None = None) -> Job:
    """A durable background job: `work` runs on a pooled connection every `every` seconds, again at once
    while it still finds something to do; a failure is logged and the next round tries again."""

    async def job(runtime: "Runtime") -> None:
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


def build_broker(spec: ServiceSpec, settings: Settings, runtime: Runtime) -> KafkaBroker:
    """FastStream broker with one subscriber per consumed topic (NACK_ON_ERROR) and the documented publishers."""
    broker = KafkaBroker(settings.kafka_bootstrap(), enable_idempotence=False, logger=None)
    for topic, handler in spec.handlers.items():
        _subscribe(broker, spec, settings, runtime, topic, handler)
    for topic in spec.publishes:
        broker.publisher(topic.name, title=f"{topic.name}:publish", schema=topic.data_model,
                         description=f"{topic.event_type} events, keyed by {topic.key_field}")
    return broker


async def _raw(msg: Any) -> Any:
    """Decoder that hands the handler the raw bytes: the inbox decides what is unreadable."""
    return msg.body


def _subscribe(broker: KafkaBroker, spec: ServiceSpec, settings: Settings, runtime: Runtime,
               topic: Topic, handler: Handler) -> None:
    group = f"{settings.consumer_group_prefix}.{spec.name}.{topic.name}"

    # Batches: one database transaction and one offset commit per batch. NACK_ON_ERROR: if the batch
    # could not be committed (database away), every partition rewinds to its first record in the batch.
    @broker.subscriber(topic.name, group_id=group, auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR,
                       listener=_Joined(runtime, topic.name) if runtime is not None else None,
                       batch=True, max_records=settings.consumer_batch_size, decoder=_raw, fetch_max_wait_ms=50,
                       title=f"{topic.name}:{spec.name}", description=topic.data_model.__doc__)
    async def consume(bodies: list[bytes], message: KafkaMessage) -> None:
        records = message.raw_message if isinstance(message.raw_message, tuple) else (message.raw_message,)
        await runtime.inbox.process_batch(
            [Delivery(topic, r.value or b"", key=r.key, partition=r.partition, offset=r.offset) for r in records],
            handler,
        )


class _Joined(ConsumerRebalanceListener):
    """Marks a topic's consumer as joined once the group has given it its partitions (even none)."""

    def __init__(self, runtime: Runtime, topic: str) -> None:
        self.runtime, self.topic = runtime, topic

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self.runtime.joined.add(self.topic)


async def watch_lag(runtime: Runtime, every: float = 2.0) -> None:
    """Export consumer lag per partition; rewind a partition whose log went backwards.

    A log whose end is behind our position was recreated (the in-memory embedded broker restarted):
    reading it from the beginning is safe because the inbox drops what was already applied.
    """
    rounds = 0
    while True:
        await asyncio.sleep(every)
        rounds += 1
        if rounds % 5 == 0:  # keeps estate_dependency_up current even when nobody asks /health
            with contextlib.suppress(Exception):
                await runtime.health()
        for sub in runtime.broker.subscribers:
            consumer = getattr(sub, "consumer", None)
            if consumer is None:
                continue
            with contextlib.suppress(Exception):
                for tp in consumer.assignment():
                    await _observe_partition(runtime, consumer, tp)


async def _observe_partition(runtime: Runtime, consumer: Any, tp: Any) -> None:
    end = consumer.highwater(tp)
    if end is None:
        return
    position = await consumer.position(tp)
    if end < position:
        log("partition_log_regressed", topic=tp.topic, partition=tp.partition, end=end, position=position)
        consumer.seek_to_beginning(tp)
        return
    metrics.CONSUMER_LAG.labels(runtime.spec.name, tp.topic, str(tp.partition)).set(end - position)


def asyncapi_document(spec: ServiceSpec, settings: Settings | None = None) -> dict:
    """The AsyncAPI document (FastStream-generated) of what the service publishes and consumes."""
    broker = build_broker(spec, settings or Settings(kafka="localhost:9092"), runtime=None)  # type: ignore[arg-type]
    doc = AsyncAPI(broker, title=f"estate {spec.name}", version="1.0.0", description=spec.description)
    return doc.to_specification().to_jsonable()


def create_app(spec: ServiceSpec, settings: Settings | None = None) -> FastAPI:
    """The FastAPI app of a service, with the runtime started in its lifespan."""
    settings = settings or get_settings()
    runtime = Runtime(spec, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        log("service_started", service=spec.name)
        yield
        await runtime.stop()

    app = FastAPI(title=f"estate {spec.name}", version="1.0.0", lifespan=lifespan, description=spec.description)
    app.state.settings, app.state.runtime = settings, runtime
    install_error_handlers(app)
    _add_platform_routes(app, spec, settings, runtime)
    for router in spec.routers:
        app.include_router(router, responses=ERROR_RESPONSES)
    document_errors(app)
    # Last added runs first: ObservedApp (outermost) → InputGuard → IdempotentPosts → routes.
    app.add_middleware(IdempotentPosts, get_pool=lambda: runtime.pool, secret=settings.jwt_secret,
                       ttl_hours=settings.idempotency_ttl_hours)
    app.add_middleware(InputGuard, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(ObservedApp, service=spec.name)
    return app


def _add_platform_routes(app: FastAPI, spec: ServiceSpec, settings: Settings, runtime: Runtime) -> None:
    @app.get("/health", include_in_schema=False)
    async def health() -> JSONResponse:
        ok, checks = await runtime.health()
        if not ok:
            return JSONResponse({"status": "unavailable", "reason": checks}, status_code=503)
        if not runtime.consumers_ready():
            waiting = sorted({t.name for t in spec.handlers} - runtime.joined)
            return JSONResponse({"status": "starting", "reason": {"consumers_joining": waiting}}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/metrics", include_in_schema=False)
    async def metrics_text() -> PlainTextResponse:
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    document = asyncapi_document(spec, settings)

    @app.get("/asyncapi", include_in_schema=False)
    async def asyncapi() -> JSONResponse:
        return JSONResponse(document)


def load_spec(service: str) -> ServiceSpec:
    """The ServiceSpec that `services/<service>/app.py` builds."""
    return importlib.import_module(f"services.{service}.app").build_spec()


def serve(service: str) -> None:
    """`estate serve NAME`: run one service's HTTP server, relay and consumers until stopped."""
    settings = get_settings()
    logs.configure(service, settings.log_level)
    if settings.jwt_secret == "dev-secret-change-me":
        log("jwt_secret_is_development_default", level=30)
    elif len(settings.jwt_secret.encode()) < 32:
        log("jwt_secret_shorter_than_32_bytes", level=30)
    options = dict(host=settings.host, port=settings.service_port(service), log_config=None, access_log=False,
                   loop="uvloop", http="httptools", lifespan="on")
    if settings.workers > 1:  # several processes share the port; the relay lock keeps one publisher
        os.environ["ESTATE_SERVICE"] = service
        uvicorn.run("shared.runtime:app_from_env", factory=True, workers=settings.workers, **options)
        return
    uvicorn.Server(uvicorn.Config(create_app(load_spec(service), settings), **options)).run()


def app_from_env() -> FastAPI:
    """The app of ESTATE_SERVICE, for uvicorn's worker processes."""
    settings = get_settings()
    logs.configure(os.environ["ESTATE_SERVICE"], settings.log_level)
    return create_app(load_spec(os.environ["ESTATE_SERVICE"]), settings)
