"""Inbox: apply each event once, in the same transaction that records its id.

Outcomes of one message:
- unreadable or invalid → `<topic>.dlq` with the reason in headers; the offset moves on;
- already applied (same event id) → nothing changes;
- handler error → retried `max_retries` times with exponential backoff, then the DLQ;
- database or broker unreachable → raised, so FastStream (AckPolicy.NACK_ON_ERROR) seeks back
  and the offset is not committed: the message is seen again once the dependency is back.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from aiokafka import AIOKafkaProducer
from pydantic import ValidationError

from shared.kernel.clock import now_utc
from shared.messaging.envelope import Envelope
from shared.messaging.topics import EventData, Topic
from shared.runtime import metrics
from shared.runtime.logs import correlation_id, log

Handler = Callable[[asyncpg.Connection, Envelope, Any], Awaitable[None]]


HandlerT = TypeVar("HandlerT", bound=Callable[..., Awaitable[None]])


BatchHandler = Callable[[asyncpg.Connection, list[tuple[Envelope, Any]]], Awaitable[None]]


def applies_batches(batch: BatchHandler) -> Callable[[HandlerT], HandlerT]:
    """Give a handler a batch form: the inbox applies a batch's fresh events with one call of `batch` (one statement
    per table), in their order, and falls back on the one-event form when the batch fails (retries and the DLQ stay
    per event). Only for a handler whose events are independent rows (no read of what an earlier one wrote)."""

    def mark(handler: HandlerT) -> HandlerT:
        handler.applies_batch = batch  # type: ignore[attr-defined]
        return handler

    return mark


class Handlers(dict[Topic, Handler]):
    """A service's handler per consumed topic, filled by `@HANDLERS.on(topic)` next to each handler."""

    def on(self, topic: Topic) -> Callable[[HandlerT], HandlerT]:
        def register(handler: HandlerT) -> HandlerT:
            self[topic] = handler
            return handler

        return register


def combined(*parts: Mapping[Topic, Handler]) -> Handlers:
    """One service's handlers from several parts: a topic two parts handle runs both, in the order given, in the one
    inbox transaction (leads' reports count a subscription after its deal credit is decided)."""
    out = Handlers()
    for part in parts:
        for topic, handler in part.items():
            out[topic] = _in_turn(out[topic], handler) if topic in out else handler
    return out


def _in_turn(first: Handler, then: Handler) -> Handler:
    async def both(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
        await first(conn, env, data)
        await then(conn, env, data)

    return both


# Errors that say "a dependency is down", not "this event is bad": never dead-letter on them.
INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
)


@dataclass
class Delivery:
    """One Kafka record as the inbox sees it."""

    topic: Topic
    value: bytes
    key: bytes | None = None
    partition: int | None = None
    offset: int | None = None


Readable = tuple[Delivery, Envelope, EventData]  # a record that parsed as its topic's event


class Inbox:
    """Runs handlers for one service with dedupe, bounded retries and dead-lettering."""

    def __init__(
        self,
        service: str,
        pool: asyncpg.Pool,
        producer: AIOKafkaProducer,
        *,
        max_retries: int = 3,
        backoff_seconds: float = 0.2,
    ) -> None:
        self.service, self.pool, self.producer = service, pool, producer
        self.max_retries, self.backoff_seconds = max_retries, backoff_seconds

    async def _apply_with_retries(self, delivery: Delivery, env: Envelope, data: EventData, handler: Handler) -> str:
        for attempt in range(self.max_retries + 1):
            try:
                return await self._apply(delivery, env, data, handler)
            except INFRASTRUCTURE_ERRORS:
                await asyncio.sleep(self.backoff_seconds * 5)  # don't spin while the database is away
                raise
            except Exception as exc:  # a handler error: bounded retries, then the DLQ
                log(
                    "event_handler_failed",
                    topic=delivery.topic.name,
                    event_id=str(env.id),
                    attempt=attempt + 1,
                    error=repr(exc),
                )
                if attempt == self.max_retries:
                    await self.dead_letter(delivery, "handler_failed", _short(exc))
                    return "dead_lettered"
                metrics.EVENTS_RETRIED.labels(self.service, delivery.topic.name).inc()
                await asyncio.sleep(self.backoff_seconds * 2**attempt)
        raise AssertionError("unreachable")

    async def _apply(self, delivery: Delivery, env: Envelope, data: EventData, handler: Handler) -> str:
        topic = delivery.topic.name
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = bool(await self._record_ids(conn, [env.id], topic))
            if fresh:
                await handler(conn, env, data)
        outcome = "applied" if fresh else "duplicate"
        self._observe(topic, [(env, outcome)])
        return outcome

    async def process_batch(self, deliveries: list[Delivery], handler: Handler) -> list[str]:
        """Apply a batch in one transaction (one commit, one offset commit); on a handler error fall back
        to one record at a time, so retries and dead-lettering stay per event. Unreadable records go to the
        DLQ first. Returns the outcome of each readable record: applied | duplicate | dead_lettered."""
        readable = await self._readable(deliveries)
        try:
            return await self._apply_batch(readable, handler)
        except INFRASTRUCTURE_ERRORS:
            await asyncio.sleep(self.backoff_seconds * 5)
            raise
        except Exception as exc:  # one bad event: redo the batch one by one (dedupe makes that safe)
            log("event_batch_failed", size=len(readable), error=repr(exc))
            return [await self._apply_with_retries(d, env, data, handler) for d, env, data in readable]

    async def _readable(self, deliveries: list[Delivery]) -> list[Readable]:
        """The records that parse as an envelope of their topic's model; the rest are dead-lettered."""
        readable: list[Readable] = []
        for delivery in deliveries:
            try:
                env = Envelope.from_bytes(delivery.value)
                readable.append((delivery, env, delivery.topic.data_model.model_validate(env.data)))
            except (ValueError, ValidationError) as exc:
                await self.dead_letter(delivery, "invalid_message", _short(exc))
        return readable

    async def _apply_batch(self, readable: list[Readable], handler: Handler) -> list[str]:
        if not readable:
            return []
        topic = readable[0][0].topic.name
        outcomes = []
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await self._record_ids(conn, [env.id for _, env, _ in readable], topic)
            todo: list[tuple[Envelope, Any]] = []
            for _delivery, env, data in readable:
                outcomes.append("applied" if env.id in fresh else "duplicate")
                if env.id in fresh:
                    fresh.discard(env.id)  # a duplicate inside the batch applies once
                    todo.append((env, data))
            await _apply_all(conn, handler, todo)
        self._observe(topic, [(env, outcome) for (_, env, _), outcome in zip(readable, outcomes, strict=True)])
        return outcomes

    @staticmethod
    async def _record_ids(conn: asyncpg.Connection, event_ids: list[uuid.UUID], topic: str) -> set[uuid.UUID]:
        """Record the batch's event ids in the inbox; returns those not seen before."""
        rows = await conn.fetch(
            "INSERT INTO inbox (event_id, topic) SELECT unnest($1::uuid[]), $2"
            " ON CONFLICT DO NOTHING RETURNING event_id",
            event_ids,
            topic,
        )
        return {r["event_id"] for r in rows}

    def _observe(self, topic: str, outcomes: list[tuple[Envelope, str]]) -> None:
        """Consumed counts by outcome, and commit-to-apply time of what was applied."""
        now = now_utc()
        for outcome, count in Counter(outcome for _, outcome in outcomes).items():
            metrics.EVENTS_CONSUMED.labels(self.service, topic, outcome).inc(count)
        latency = metrics.COMMIT_TO_APPLY.labels(self.service, topic)
        for env, outcome in outcomes:
            if outcome == "applied":
                latency.observe(max((now - env.occurred_at).total_seconds(), 0))

    async def dead_letter(self, delivery: Delivery, reason: str, detail: str) -> None:
        """Send the original bytes to `<topic>.dlq` with why, where from and who gave up."""
        headers = [
            ("x-dlq-reason", reason.encode()),
            ("x-dlq-detail", detail.encode()),
            ("x-dlq-service", self.service.encode()),
            ("x-original-topic", delivery.topic.name.encode()),
            ("x-original-partition", str(delivery.partition).encode()),
            ("x-original-offset", str(delivery.offset).encode()),
        ]
        await self.producer.send_and_wait(delivery.topic.dlq, delivery.value, key=delivery.key, headers=headers)
        metrics.EVENTS_DEAD_LETTERED.labels(self.service, delivery.topic.name, reason).inc()
        log(
            "event_dead_lettered",
            topic=delivery.topic.name,
            reason=reason,
            detail=detail,
            partition=delivery.partition,
            offset=delivery.offset,
        )


async def _apply_all(conn: asyncpg.Connection, handler: Handler, todo: list[tuple[Envelope, Any]]) -> None:
    """The fresh events of a batch: in one call where the handler has a batch form, else one by one, in order."""
    batch = getattr(handler, "applies_batch", None)
    if batch is not None and todo:
        correlation_id.set(todo[-1][0].correlation_id)
        await batch(conn, todo)
        return
    for env, data in todo:
        correlation_id.set(env.correlation_id)
        await handler(conn, env, data)


def _short(exc: BaseException, limit: int = 500) -> str:
    return repr(exc)[:limit]
