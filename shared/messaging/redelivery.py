"""What the broker holds for a service, and getting it back when the broker lost it (issue 19).

The embedded broker keeps its log in memory: killed, or restarted with `make run`, it comes back empty, and every
event it held and some consumer had not read yet was gone while the outbox said "published". So the relay keeps
two facts in the service's database (`broker_state`):

- **who the broker is**: its cluster id (the embedded one gets a new id at every start) and that every catalogue
  topic exists. Checked before each batch is published and every few seconds at rest. A different cluster id or
  a missing topic means the broker lost its log: the topics are made again and every event the consumers had not
  confirmed is published again, in id order, before anything new. The inbox makes a second copy harmless.
- **what the consumers confirmed**: `confirmed_below`, a publish sequence number (each published row gets the next
  one, in the order the relay published them) under which every event has been read and committed by every
  consumer group of its topic (the groups' committed offsets against the offset each row was published at). A
  replay starts there: it costs what the consumers had not read, not the retention window. The mark follows
  publishing, not outbox ids, because a row whose transaction commits late has a lower id than rows published
  before it.

While a replay runs, `replaying_through` names its last row; `/health` says 503 until it is published.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from shared.messaging.topics import ALL_TOPIC_NAMES, consumers_of
from shared.runtime import metrics
from shared.runtime.logs import log

FRESH_SECONDS = 2.0  # a batch trusts an answer about the broker this recent (the relay's watch asks every second)
NEVER = 2**62  # the committed offset of a topic nobody consumes: every row of it is confirmed at once
ConsumersOf = Callable[[str], tuple[str, ...]]


@dataclass(frozen=True)
class Identity:
    """Who the broker is: its cluster id and the topics it has."""

    cluster_id: str
    topics: frozenset[str]

    def lacks(self, wanted: frozenset[str]) -> frozenset[str]:
        return wanted - self.topics


class BrokerAdmin:
    """One admin connection per process: the broker's identity, committed offsets, missing topics."""

    def __init__(self, bootstrap: str, partitions: int, replication_factor: int, timeout_ms: int = 5_000) -> None:
        self.bootstrap, self.partitions, self.replication_factor = bootstrap, partitions, replication_factor
        self.timeout_ms = timeout_ms
        self._client: AIOKafkaAdminClient | None = None

    async def _admin(self) -> AIOKafkaAdminClient:
        if self._client is None:
            client = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=self.timeout_ms)
            await client.start()
            self._client = client
        return self._client

    async def cluster_id(self) -> str:
        """Who the broker is (one short request; raises while it does not answer)."""
        return str((await (await self._admin()).describe_cluster())["cluster_id"])

    async def identity(self) -> Identity:
        """The broker as it answers now, with its topics (raises while it does not)."""
        cluster_id = await self.cluster_id()
        return Identity(cluster_id, frozenset(await (await self._admin()).list_topics()))

    async def committed(self, group: str, partitions: list[TopicPartition]) -> dict[TopicPartition, int]:
        """The group's committed offset per partition (-1: none yet)."""
        answer = await (await self._admin()).list_consumer_group_offsets(group, partitions=partitions)
        return {tp: meta.offset for tp, meta in answer.items()}

    async def create(self, names: frozenset[str]) -> None:
        """Create the named topics (each of the catalogue's, with its `.dlq`)."""
        admin = await self._admin()
        wanted = [NewTopic(n, self.partitions, self.replication_factor) for n in sorted(names)]
        await admin.create_topics(wanted)

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.close()


class Custody:
    """A relay's watch over what the broker holds: identity before publishing, confirmations, the replay."""

    def __init__(
        self,
        service: str,
        admin: BrokerAdmin,
        group_of: Callable[[str], str],
        *,
        check_seconds: float = 5.0,
        consumers: ConsumersOf = consumers_of,
        topics: frozenset[str] = frozenset(ALL_TOPIC_NAMES),
    ) -> None:
        self.service, self.admin, self.group_of, self.consumers = service, admin, group_of, consumers
        self.check_seconds, self.topics = check_seconds, topics
        self._checked_at = self._identity_at = -1e18
        self.cluster_id: str | None = None  # as this process last saw it

    def suspect(self) -> None:
        """Something failed on the way to the broker: check who it is before the next batch."""
        self._checked_at = self._identity_at = -1e18

    async def watch(self) -> bool:
        """Ask the broker who it is off the publishing path (the relay's leader does, every second; its topics every
        `check_seconds`), so no batch waits for the question. False, and the next batch checks fully and recovers
        first, when it is another broker, lacks a topic or does not answer."""
        try:
            if time.monotonic() - self._identity_at >= self.check_seconds:
                identity = await self.admin.identity()
                same = identity.cluster_id == self.cluster_id and not identity.lacks(self.topics)
                self._identity_at = time.monotonic() if same else self._identity_at
            else:
                same = await self.admin.cluster_id() == self.cluster_id
        except Exception:
            same = False
        if same:
            self._checked_at = time.monotonic()
        else:
            self.suspect()
        return same

    async def before_publishing(self, conn: asyncpg.Connection, *, at_rest: bool = False) -> None:
        """Make sure the broker is the one that has our published events; recover first if it is not. Before a
        batch: its cluster id, unless asked within `FRESH_SECONDS` (by `watch`, or here); at rest: that and its
        topics."""
        if time.monotonic() - self._checked_at < (self.check_seconds if at_rest else FRESH_SECONDS):
            return
        if not at_rest and await self.admin.cluster_id() == self.cluster_id:
            self._checked_at = time.monotonic()
            return
        identity = await self.admin.identity()
        self._checked_at = self._identity_at = time.monotonic()
        self.cluster_id = identity.cluster_id
        state = await conn.fetchrow("SELECT cluster_id, confirmed_below FROM broker_state")
        if state["cluster_id"] == identity.cluster_id and not identity.lacks(self.topics):
            return
        if state["cluster_id"] is None:  # the first broker this database has seen
            await self._record(conn, identity, None)
            if identity.lacks(self.topics):
                await self.admin.create(identity.lacks(self.topics))
            return
        await self._recover(conn, identity, state["cluster_id"], state["confirmed_below"])

    async def _recover(self, conn: asyncpg.Connection, identity: Identity, was: str, confirmed_below: int) -> None:
        missing = identity.lacks(self.topics)
        log("broker_lost", service=self.service, was=was, now=identity.cluster_id, topics_missing=len(missing))
        metrics.BROKER_LOST.labels(self.service).inc()
        if missing:
            await self.admin.create(missing)
        async with conn.transaction():
            requeued = await conn.execute(_REQUEUE, confirmed_below)
            last = await conn.fetchval("SELECT max(id) FROM outbox WHERE published_at IS NULL")
            await self._record(conn, identity, last)
        log("broker_replay_started", service=self.service, events=int(requeued.split()[-1]), through=last)

    @staticmethod
    async def _record(conn: asyncpg.Connection, identity: Identity, replaying_through: int | None) -> None:
        await conn.execute(
            "UPDATE broker_state SET cluster_id = $1, replaying_through = $2, changed_at = now()",
            identity.cluster_id,
            replaying_through,
        )

    async def after_publishing(self, conn: asyncpg.Connection) -> None:
        """End a replay once its rows are out (the mark moves in `confirm`, off the publishing path)."""
        through = await conn.fetchval("SELECT replaying_through FROM broker_state")
        metrics.BROKER_REPLAYING.labels(self.service).set(1 if through is not None else 0)
        if through is not None:
            await _end_replay(conn, self.service, through)

    async def confirm(self, conn: asyncpg.Connection) -> None:
        """Move `confirmed_below` past what every consumer group has committed (the relay's housekeeping runs this
        every `check_seconds`, on its own connection)."""
        await self._confirm(conn, await conn.fetchval("SELECT confirmed_below FROM broker_state"))

    async def _confirm(self, conn: asyncpg.Connection, below: int) -> None:
        """Raise `confirmed_below` past every row each consumer group of its topic has committed."""
        spans = await conn.fetch(_UNCONFIRMED_PARTITIONS, below)
        if not spans:
            return
        committed = await self._committed_offsets([(r["topic"], r["kafka_partition"]) for r in spans])
        topics, parts, offsets = zip(*[(t, p, o) for (t, p), o in committed.items()], strict=True)
        await conn.execute(_CONFIRM, below, list(topics), list(parts), list(offsets))
        metrics.OUTBOX_UNCONFIRMED.labels(self.service).set(await conn.fetchval(_UNCONFIRMED_COUNT))

    async def _committed_offsets(self, spans: list[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """Per (topic, partition), the lowest offset committed by the groups that consume the topic."""
        lowest: dict[tuple[str, int], int] = {span: NEVER for span in spans}
        groups: dict[str, list[TopicPartition]] = {}
        for topic, partition in spans:
            for service in self.consumers(topic):
                groups.setdefault(self.group_of(service), []).append(TopicPartition(topic, partition))
        for group, partitions in groups.items():
            for tp, offset in (await self.admin.committed(group, partitions)).items():
                span = (tp.topic, tp.partition)
                lowest[span] = min(lowest[span], max(offset, 0))
        return lowest


async def _end_replay(conn: asyncpg.Connection, service: str, through: int) -> None:
    pending = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL AND id <= $1", through)
    if pending == 0:
        await conn.execute("UPDATE broker_state SET replaying_through = NULL WHERE replaying_through = $1", through)
        log("broker_replay_done", service=service, through=through)


async def replay_state(conn: asyncpg.Connection) -> tuple[str | None, str | None]:
    """(why /health must say 503 because of a replay, or None; the broker this database last published to)."""
    row = await conn.fetchrow("SELECT replaying_through, cluster_id FROM broker_state")
    through = row["replaying_through"]
    return (None if through is None else f"replaced: replaying events through outbox id {through}"), row["cluster_id"]


# Rows published but not confirmed go out again, in id order (published_at NULL is what the relay reads).
_REQUEUE = (
    "UPDATE outbox SET published_at = NULL, kafka_partition = NULL, kafka_offset = NULL, publish_seq = NULL"
    " WHERE publish_seq >= $1"
)
_UNCONFIRMED_COUNT = "SELECT count(*) FROM outbox WHERE publish_seq >= (SELECT confirmed_below FROM broker_state)"
_UNCONFIRMED_PARTITIONS = "SELECT DISTINCT topic, kafka_partition FROM outbox WHERE publish_seq >= $1"
# The new mark: the first publish at or above the old one at an offset some group of its topic has not committed
# past; past the last publish when there is none.
_CONFIRM = """
WITH committed AS (SELECT * FROM unnest($2::text[], $3::int[], $4::bigint[]) AS c(topic, part, committed)),
open AS (
    SELECT min(o.publish_seq) AS seq FROM outbox o
    LEFT JOIN committed c ON c.topic = o.topic AND c.part = o.kafka_partition
    WHERE o.publish_seq >= $1 AND (c.committed IS NULL OR o.kafka_offset >= c.committed))
UPDATE broker_state SET confirmed_below = greatest(confirmed_below, coalesce(
    (SELECT seq FROM open), (SELECT max(publish_seq) + 1 FROM outbox WHERE publish_seq >= $1), confirmed_below))
"""


def record_offsets_sql() -> str:
    """The relay's mark of a published batch: when, and at which partition and offset each row went."""
    return (
        "UPDATE outbox o SET published_at = clock_timestamp(), kafka_partition = p.part, kafka_offset = p.off,"
        " publish_seq = nextval('outbox_publish_seq')"
        " FROM unnest($1::bigint[], $2::int[], $3::bigint[]) AS p(id, part, off) WHERE o.id = p.id"
    )


def offsets_of(results: list[Any]) -> tuple[list[int], list[int]]:
    """Partitions and offsets from the broker's acknowledgements (each has `.partition` and `.offset`)."""
    return [r.partition for r in results], [r.offset for r in results]
