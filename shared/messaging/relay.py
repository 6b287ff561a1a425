"""The outbox relay: publishes one service's outbox to the broker in id order, batch after batch.

Under load the relay hands the producer at most one batch every `pace_seconds` (issue 23). It used to send the
next batch as soon as the broker answered for the last: at 1,000 events/s some 300 batches a second of three or
four events, each a record batch per partition for the broker to write and a fetch and a mark for the database. On
two shared cores the broker alone took half a core, and the events' tail was the queueing that made; paced at ten
milliseconds the batches are three times fuller and the pipeline's p99 is within its target (`docs/benchmarks.md`).
At rest nothing waits: an event after a quiet spell goes at once.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import asyncpg
import orjson
from aiokafka import AIOKafkaProducer

from shared.messaging.outbox import unseal
from shared.messaging.publishing import Outgoing, Published, publish
from shared.messaging.redelivery import Custody, offsets_of, record_offsets_sql
from shared.messaging.retention import Housekeeping, Retention, observe_backlog
from shared.messaging.topics import TOPICS
from shared.messaging.wakeup import tell_supervisor
from shared.runtime import metrics
from shared.runtime.jobs import keep_trying
from shared.runtime.logs import log

_LEADER_LOCK = 7_311_002  # one publishing relay per service database
BUSY_SECONDS = 5.0  # a relay that published this recently has the broker's identity asked beside it every second
FUNNEL_STAGES = {
    "customer-registered": "registered",
    "unit-locked": "held",
    "deposit-verified": "deposit_verified",
    "subscription-signed": "subscribed",
    "contract-signed": "contracted",
    "handover-completed": "handed_over",
    "handoff": "handed_off",
}


class OutboxRelay:
    """Publishes one service's outbox to Kafka: leader-locked, woken by NOTIFY, polling as fallback."""

    @classmethod
    def for_service(
        cls, settings: Any, service: str, producer: AIOKafkaProducer, custody: Custody | None = None
    ) -> OutboxRelay:
        """The relay of `service` as its settings say: the one place a relay is built."""
        from shared.db.databases import service_dsn

        return cls(
            service,
            service_dsn(settings, service),
            producer,
            poll_seconds=settings.outbox_poll_seconds,
            pace_seconds=settings.outbox_pace_ms / 1000,
            batch_size=settings.outbox_batch_size,
            retention=Retention(settings.outbox_retention_hours, settings.inbox_retention_hours),
            custody=custody,
            on_published=lambda: tell_supervisor(settings),  # under `estate up`: wake the consumers
        )

    def __init__(
        self,
        service: str,
        dsn: str,
        producer: AIOKafkaProducer,
        *,
        poll_seconds: float = 1.0,
        pace_seconds: float = 0.0,
        batch_size: int = 2000,
        retention: Retention | None = None,
        custody: Custody | None = None,
        on_published: Callable[[], None] | None = None,
    ) -> None:
        self.service, self.dsn, self.producer, self.custody = service, dsn, producer, custody
        self.on_published = on_published
        self.poll_seconds, self.pace_seconds, self.batch_size = poll_seconds, pace_seconds, batch_size
        check = custody.check_seconds if custody is not None else poll_seconds
        self.housekeeping = Housekeeping(service, retention or Retention(), check)
        self._wake = asyncio.Event()
        self._published_at = self._handed_at = -1e18
        self.is_leader = False

    async def run(self) -> None:
        """Loop for ever: become leader, then drain whenever woken; after database or broker trouble, back off and
        start over."""
        await keep_trying(
            "outbox_relay_error", self._lead, self.poll_seconds, on_failure=self._lost, service=self.service
        )

    def _lost(self) -> None:
        self.is_leader = False
        if self.custody is not None:
            self.custody.suspect()  # the broker may be another one when we come back

    async def _lead(self) -> None:
        conn = await asyncpg.connect(self.dsn)
        try:
            while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LEADER_LOCK):
                await asyncio.sleep(self.poll_seconds)
            self.is_leader = True
            await conn.add_listener("estate_outbox", lambda *_: self._wake.set())
            log("outbox_relay_leading", service=self.service)
            await observe_backlog(conn, self.service)  # the figures from the start; then every round of housekeeping
            helpers = [asyncio.ensure_future(self._keep_house()), asyncio.ensure_future(self._watch_broker())]
            try:
                while True:
                    await self._cycle(conn)
            finally:
                for helper in helpers:
                    helper.cancel()
                await asyncio.gather(*helpers, return_exceptions=True)
        finally:
            self.is_leader = False
            await conn.close(timeout=2)

    async def _watch_broker(self) -> None:
        """Who the broker is, asked every second beside publishing while the relay is busy (a batch never waits for
        the answer; at rest nothing is asked, the first batch asks itself); another broker wakes the loop, whose
        next batch recovers first (`Custody.before_publishing`)."""
        while self.custody is not None:
            if time.monotonic() - self._published_at < BUSY_SECONDS and not await self.custody.watch():
                self._wake.set()
            await asyncio.sleep(1.0)

    async def _keep_house(self) -> None:
        """The leader's bookkeeping (backlog figures, custody mark, retention) on a connection of its own, so it
        never holds up a batch; trouble is logged and the next round tries again."""
        conn: asyncpg.Connection | None = None
        while True:
            try:
                conn = conn if conn is not None and not conn.is_closed() else await asyncpg.connect(self.dsn)
                await self.housekeeping.once(conn, self.custody)
            except asyncio.CancelledError:
                if conn is not None:
                    await conn.close(timeout=2)
                raise
            except Exception as exc:
                log("outbox_housekeeping_failed", service=self.service, error=repr(exc)[:300])
            await asyncio.sleep(self.housekeeping.check_seconds)

    async def _cycle(self, conn: asyncpg.Connection) -> None:
        self._wake.clear()
        if self.custody is not None:
            await self.custody.before_publishing(conn, at_rest=True)
        published = await self.drain_once(conn)
        if self.custody is not None:
            await self.custody.after_publishing(conn)
        if published < self.batch_size:
            try:
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            except TimeoutError:
                pass
            await asyncio.sleep(self._handed_at + self.pace_seconds - time.monotonic())  # fuller batches under load

    async def drain_once(self, conn: asyncpg.Connection) -> int:
        """Publish one batch of unpublished rows in id order; mark those the broker acknowledged."""
        rows = await conn.fetch(
            "SELECT id, topic, key, payload FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1",
            self.batch_size,
        )
        if not rows:
            return 0
        if self.custody is not None:  # never publish to a broker that lost what we published before
            await self.custody.before_publishing(conn)
        outgoing = [Outgoing(r["topic"], r["key"].encode(), unseal(r["payload"])) for r in rows]
        self._handed_at = time.monotonic()
        done, acks = self._acknowledged(rows, await publish(self.producer, outgoing))
        if done:
            self._published_at = time.monotonic()
            await conn.execute(record_offsets_sql(), done, *offsets_of(acks))
            if self.on_published is not None:
                self.on_published()
        if len(done) < len(rows):
            raise ConnectionError("broker did not acknowledge every outbox row")
        return len(done)

    def _acknowledged(
        self, rows: list[asyncpg.Record], results: list[Published | BaseException]
    ) -> tuple[list[int], list[Published]]:
        """Ids (and where they went) of the longest prefix the broker acknowledged; the rest is sent again."""
        done: list[int] = []
        acks: list[Published] = []
        for row, result in zip(rows, results, strict=True):
            if isinstance(result, BaseException):
                log("outbox_publish_failed", service=self.service, topic=row["topic"], error=repr(result))
                break
            done.append(row["id"])
            acks.append(result)
        _count_published(self.service, rows[: len(done)])
        return done, acks


def _count_published(service: str, rows: list[asyncpg.Record]) -> None:
    """Published events per topic, and the funnel's stages (only the topics that are a stage are read)."""
    for topic, count in Counter(r["topic"] for r in rows).items():
        metrics.EVENTS_PUBLISHED.labels(service, topic).inc(count)
    for row in rows:
        if row["topic"] in _FUNNEL_TOPICS:
            _count_funnel(unseal(row["payload"]))


_FUNNEL_TOPICS = frozenset(t.name for t in TOPICS if t.event_type in FUNNEL_STAGES)


def _count_funnel(payload: bytes) -> None:
    body = orjson.loads(payload)
    stage = FUNNEL_STAGES.get(body.get("type", ""))
    if stage:
        metrics.FUNNEL.labels(str(body.get("project_id")), stage).inc()
