"""Consuming for a service: one Kafka consumer for all of its topics, each batch applied through the inbox and its
offsets committed after the database commit; consumer lag; the rewind when the broker lost its log.

One consumer per service process, not one per topic (issue 27): each consumer is a group member with its own
connections, heartbeats and fetch loop, and forty of them polling an idle broker cost half a core. Ordering
needs nothing more: Kafka orders a key's events within its topic's partition, and one consumer reads each
partition in order. Isolation needs nothing more either: a slow handler holds up its batch, and the inbox's
bounded retries and dead-lettering keep one bad event from holding it for long.

The loop is ours, on aiokafka, not FastStream's batch subscriber: that one sleeps for its batch timeout after
every empty poll, which put ~100 ms on every event at rest. FastStream still describes the subscriptions in
the AsyncAPI document (`describe_broker`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from faststream.kafka import KafkaBroker

from shared.messaging.inbox import Delivery, Handler, Inbox
from shared.messaging.topics import Topic
from shared.messaging.wakeup import Wakeup, supervised
from shared.runtime import metrics
from shared.runtime.logs import log
from shared.runtime.settings import Settings


class Consumes(Protocol):
    """What consuming needs of a service's description (a `ServiceSpec` is one): its name, a handler per consumed
    topic, the topics it publishes (for the AsyncAPI document)."""

    @property
    def name(self) -> str: ...

    @property
    def handlers(self) -> Mapping[Topic, Handler]: ...

    @property
    def publishes(self) -> tuple[Topic, ...]: ...


IDLE_POLL_MS = 30_000  # getmany returns as soon as records arrive; this only bounds a wait on an idle log
RETRY_SECONDS = 1.0  # after a batch that could not be applied (the database away), before reading it again


def group_id(settings: Settings, service: str) -> str:
    """The consumer group of a service: every replica of it shares its topics' partitions."""
    return f"{settings.consumer_group_prefix}.{service}"


class Joined(Protocol):
    def __call__(self, *topics: Iterable[str]) -> None: ...


class ServiceConsumer:
    """The one consumer of a service process: every consumed topic, one group, batches through the inbox."""

    def __init__(
        self, spec: Consumes, settings: Settings, inbox: Callable[[], Inbox], on_joined: Joined | None = None
    ) -> None:
        self.spec, self.settings, self._inbox = spec, settings, inbox
        self.topics: dict[str, Topic] = {topic.name: topic for topic in spec.handlers}
        self._on_joined = on_joined
        self.batch_size = settings.consumer_batch_size
        self.consumer: AIOKafkaConsumer | None = None
        self.wakeup = Wakeup() if supervised(settings) else None  # None: keep fetching
        self.dozing = False
        self._committing: asyncio.Future[None] | None = None

    async def start(self) -> None:
        """Join the group (raises while the broker is away: the caller retries)."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka_bootstrap(),
            group_id=group_id(self.settings, self.spec.name),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.settings.consumer_fetch_wait_ms,
            max_poll_records=self.settings.consumer_batch_size,
        )
        consumer.subscribe(sorted(self.topics), listener=AssignmentListener(self))
        try:
            await consumer.start()
        except BaseException:
            await consumer.stop()
            raise
        self.consumer = consumer

    async def run(self) -> None:
        """Apply batches until cancelled; a batch is committed only after its database transaction. Under the
        supervisor, without a record for a moment, doze until woken."""
        assert self.consumer is not None, "start() first"
        if self.wakeup is not None:
            self.wakeup.listen()
        awake = self.settings.consumer_awake_ms if self.wakeup is not None else IDLE_POLL_MS
        while True:
            try:
                batch = await self.consumer.getmany(timeout_ms=awake, max_records=self.batch_size)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the broker away or replaced: aiokafka reconnects, we keep asking
                log("consumer_poll_failed", service=self.spec.name, error=repr(exc)[:300])
                await asyncio.sleep(RETRY_SECONDS)
                continue
            if batch:
                await self.apply(batch)
            elif self.wakeup is not None:
                await self._doze(self.wakeup)

    async def _doze(self, wakeup: Wakeup) -> None:
        """Stop fetching until woken (events published, a new assignment) or the safety timer."""
        assert self.consumer is not None
        self.consumer.pause(*self.consumer.assignment())
        self.dozing = True
        try:
            await wakeup.wait(self.settings.consumer_safety_seconds)
        finally:
            self.dozing = False
            self.consumer.resume(*self.consumer.paused())

    def wake(self) -> None:
        """Fetch now (a new assignment, or the broker was replaced)."""
        if self.wakeup is not None:
            self.wakeup.ring()

    async def apply(self, batch: dict[TopicPartition, list[Any]]) -> None:
        """One batch: each topic's records through the inbox, then the offsets (committed while the next batch is
        fetched and applied); on failure read it all again."""
        try:
            for topic, deliveries in _by_topic(self.topics, batch).items():
                await self._inbox().process_batch(deliveries, self.spec.handlers[self.topics[topic]])
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # nothing committed: rewind to the batch's first records and try again
            log("consumer_batch_failed", service=self.spec.name, error=repr(exc)[:300])
            for tp, records in batch.items():
                self._seek(tp, records[0].offset)
            await asyncio.sleep(RETRY_SECONDS)
            return
        await self._committed()  # the previous batch's offsets first: commits stay in order
        offsets = {tp: OffsetAndMetadata(records[-1].offset + 1, "") for tp, records in batch.items()}
        self._committing = asyncio.ensure_future(self._commit(offsets))  # in flight while the next batch is read

    async def _committed(self) -> None:
        """Wait for the offsets in flight (they were committed only after their batch's database commit)."""
        if self._committing is not None:
            committing, self._committing = self._committing, None
            await committing

    async def _commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        assert self.consumer is not None
        try:
            await self.consumer.commit(offsets)
        except Exception as exc:  # a rebalance took the partitions: their new owner reads again, the inbox dedupes
            log("consumer_commit_failed", service=self.spec.name, error=repr(exc)[:300])

    def _seek(self, tp: TopicPartition, offset: int) -> None:
        assert self.consumer is not None
        with contextlib.suppress(Exception):  # the partition was revoked meanwhile: its new owner reads it
            self.consumer.seek(tp, offset)

    async def rewind(self) -> None:
        """Read every assigned partition from the beginning of its log (the broker lost what we had read)."""
        if self.consumer is not None and (assigned := self.consumer.assignment()):
            await self.consumer.seek_to_beginning(*assigned)
        self.wake()

    async def observe_lag(self) -> None:
        """Export lag per partition; rewind a partition whose log end went below our position."""
        if self.consumer is None:
            return
        for tp in self.consumer.assignment():
            end = self.consumer.highwater(tp)
            if end is None:
                continue
            position = await self.consumer.position(tp)
            if end < position:  # the log was recreated: from its beginning, the inbox drops what was applied
                log("partition_log_regressed", topic=tp.topic, partition=tp.partition, end=end, position=position)
                await self.consumer.seek_to_beginning(tp)
                continue
            metrics.CONSUMER_LAG.labels(self.spec.name, tp.topic, str(tp.partition)).set(end - position)

    async def stop(self) -> None:
        if self.consumer is not None:
            await self._committed()
            await self.consumer.stop()


def _by_topic(topics: dict[str, Topic], batch: dict[TopicPartition, list[Any]]) -> dict[str, list[Delivery]]:
    """The batch's records per topic, each partition's in offset order."""
    grouped: dict[str, list[Delivery]] = defaultdict(list)
    for tp, records in batch.items():
        topic = topics[tp.topic]
        grouped[tp.topic].extend(
            Delivery(topic, r.value or b"", key=r.key, partition=r.partition, offset=r.offset) for r in records
        )
    return grouped


class AssignmentListener(ConsumerRebalanceListener):
    """Tells the runtime the group has given this process its partitions (even none): its consumers have joined."""

    def __init__(self, owner: ServiceConsumer) -> None:
        self.owner = owner

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        self.owner.wake()  # newly assigned partitions are not paused: read them now, doze again after
        if self.owner._on_joined is not None:
            self.owner._on_joined(set(self.owner.topics))


def _described(topic: Topic) -> Callable[..., Any]:
    """A handler FastStream reads the payload's schema from (the topic's data model); consuming runs elsewhere."""

    async def described(data: Any) -> None:
        return None

    described.__annotations__["data"] = topic.data_model
    return described


def describe_broker(spec: Consumes, settings: Settings) -> KafkaBroker:
    """The service's subscriptions and publications as FastStream describes them, for the AsyncAPI document."""
    broker = KafkaBroker(settings.kafka_bootstrap(), enable_idempotence=False, logger=None)
    for topic in spec.handlers:
        broker.subscriber(
            topic.name,
            group_id=group_id(settings, spec.name),
            auto_offset_reset="earliest",
            title=f"{topic.name}:{spec.name}",
            description=topic.data_model.__doc__,
        )(_described(topic))
    for topic in spec.publishes:
        broker.publisher(
            topic.name,
            title=f"{topic.name}:publish",
            schema=topic.data_model,
            description=f"{topic.event_type} events, keyed by {topic.key_field}",
        )
    return broker
