"""Consuming for a service: a FastStream subscriber per topic feeding the inbox in batches, the listener that says when
the consumers have joined (health), and consumer lag."""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

from aiokafka import ConsumerRebalanceListener
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage

from shared import metrics
from shared.catalogue import Topic
from shared.inbox import Delivery, Handler
from shared.logs import log
from shared.settings import Settings

if TYPE_CHECKING:  # the runtime builds the broker: a type only, no import cycle
    from shared.runtime import Runtime, ServiceSpec


def build_broker(spec: ServiceSpec, settings: Settings, runtime: Runtime) -> KafkaBroker:
    """FastStream broker with one subscriber per consumed topic (NACK_ON_ERROR) and the documented publishers."""
    broker = KafkaBroker(settings.kafka_bootstrap(), enable_idempotence=False, logger=None)
    for topic, handler in spec.handlers.items():
        _subscribe(broker, spec, settings, runtime, topic, handler)
    for topic in spec.publishes:
        broker.publisher(
            topic.name,
            title=f"{topic.name}:publish",
            schema=topic.data_model,
            description=f"{topic.event_type} events, keyed by {topic.key_field}",
        )
    return broker


async def _raw(msg: Any) -> Any:
    """Decoder that hands the handler the raw bytes: the inbox decides what is unreadable."""
    return msg.body


def _subscribe(
    broker: KafkaBroker, spec: ServiceSpec, settings: Settings, runtime: Runtime, topic: Topic, handler: Handler
) -> None:
    group = f"{settings.consumer_group_prefix}.{spec.name}.{topic.name}"

    # Batches: one database transaction and one offset commit per batch. NACK_ON_ERROR: if the batch
    # could not be committed (database away), every partition rewinds to its first record in the batch.
    @broker.subscriber(
        topic.name,
        group_id=group,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        listener=_Joined(runtime, topic.name) if runtime is not None else None,
        batch=True,
        max_records=settings.consumer_batch_size,
        decoder=_raw,
        fetch_max_wait_ms=50,
        title=f"{topic.name}:{spec.name}",
        description=topic.data_model.__doc__,
    )
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
