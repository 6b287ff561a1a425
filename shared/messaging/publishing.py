"""Publishing a batch of outbox rows as the broker takes them: whole record batches, not one send per event.

`producer.send` costs a round of Python bookkeeping per message (serialising, partitioning, a future each) and the
relay spent most of its time there. Here the relay's rows are grouped by topic and partition (the key's partition,
murmur2 as every Kafka client computes it, so a key's events stay in one partition), each group is written into
record batches of up to the producer's `max_batch_size`, and every partition's batches are handed to the producer
at once: they travel together, one request per broker connection at a time. Each row's offset is its batch's base
offset plus its place in the batch. A partition's batches go in order; a batch that fails fails its rows and every
later row of its partition (the caller keeps the prefix that went out and sends the rest again).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any, NamedTuple

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner

_PARTITIONER = DefaultPartitioner()
_LOST = ConnectionError("the broker acknowledged no offset")


class Outgoing(NamedTuple):
    """One row to publish: its topic, key and published bytes."""

    topic: str
    key: bytes
    value: bytes


class Published(NamedTuple):
    """Where a row went."""

    partition: int
    offset: int


async def publish(producer: AIOKafkaProducer, rows: list[Outgoing]) -> list[Published | BaseException]:
    """Publish `rows` (in their order within each partition); per row where it went, or why it did not."""
    groups: dict[tuple[str, int], list[int]] = defaultdict(list)
    for topic in {row.topic for row in rows}:
        partitions = sorted(await producer.partitions_for(topic))
        for i, row in enumerate(rows):
            if row.topic == topic:
                groups[(topic, _PARTITIONER(row.key, partitions, partitions))].append(i)
    results: list[Published | BaseException] = [ConnectionError("not published")] * len(rows)
    await asyncio.gather(*(_partition(producer, tp, rows, indexes, results) for tp, indexes in groups.items()))
    return results


async def _partition(
    producer: AIOKafkaProducer,
    tp: tuple[str, int],
    rows: list[Outgoing],
    indexes: list[int],
    results: list[Published | BaseException],
) -> None:
    """One partition's rows, batch after batch; the results are filled in as the broker acknowledges them."""
    sent: list[tuple[asyncio.Future[Any], list[int]]] = []
    try:
        for batch, members in _batches(producer, rows, indexes):
            batch.close()  # complete: the producer sends it at once instead of lingering for more records
            sent.append((await producer.send_batch(batch, tp[0], partition=tp[1]), members))
    except Exception as exc:  # not even queued: these rows and the rest of the partition failed
        for i in indexes[sum(len(m) for _, m in sent) :]:
            results[i] = exc
    failed: BaseException | None = None
    for future, members in sent:
        try:
            base = (await future).offset if failed is None else None
        except Exception as exc:
            failed = exc
        for place, i in enumerate(members):
            results[i] = Published(tp[1], base + place) if failed is None and base is not None else failed or _LOST


def _batches(producer: AIOKafkaProducer, rows: list[Outgoing], indexes: list[int]) -> list[tuple[Any, list[int]]]:
    """The partition's rows in record batches of at most the producer's batch size, in order."""
    batches: list[tuple[Any, list[int]]] = []
    batch, members = producer.create_batch(), list[int]()
    for i in indexes:
        if batch.append(key=rows[i].key, value=rows[i].value, timestamp=None) is None:
            batches.append((batch, members))
            batch, members = producer.create_batch(), []
            if batch.append(key=rows[i].key, value=rows[i].value, timestamp=None) is None:
                raise ValueError("an event larger than the producer's batch size")
        members.append(i)
    if members:
        batches.append((batch, members))
    return batches
