"""A service's delivery bookkeeping kept small and watched, off the publishing path (issue 23).

The relay's leader runs this beside its publishing loop, on a connection of its own, so nothing here ever holds up
a batch: every `check_seconds` it exports the outbox's backlog, moves the broker's custody mark (what every consumer
group confirmed, `redelivery.Custody.confirm`), and now and then deletes what is no longer needed, a bounded batch
per statement (no long lock, no long transaction):

- **outbox**: rows published more than `outbox_retention_hours` ago, but never one some consumer group has not
  confirmed (`publish_seq` at or above `broker_state.confirmed_below`): it may have to be published again;
- **inbox**: event ids applied more than `inbox_retention_hours` ago. Keep that longer than the outbox's retention
  (the default is twice as long), so an event that can still be published again is still recognised when it comes.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import asyncpg

from shared.messaging.redelivery import Custody
from shared.runtime import metrics

DELETE_BATCH = 5_000  # rows per DELETE statement
_OUTBOX = (
    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE published_at < now() - make_interval(secs => $1)"
    " AND (publish_seq IS NULL OR publish_seq < (SELECT confirmed_below FROM broker_state)) LIMIT $2)"
)
_INBOX = (
    "DELETE FROM inbox WHERE event_id IN (SELECT event_id FROM inbox"
    " WHERE received_at < now() - make_interval(secs => $1) LIMIT $2)"
)


@dataclass(frozen=True)
class Retention:
    """How long published outbox rows and applied inbox ids are kept, and how often retention runs."""

    outbox_hours: float = 168.0
    inbox_hours: float = 336.0
    every_seconds: float = 600.0


async def purge(conn: asyncpg.Connection, retention: Retention, batch: int = DELETE_BATCH) -> tuple[int, int]:
    """Delete what retention allows, `batch` rows per statement; (outbox rows, inbox ids) deleted."""
    return (
        await _in_batches(conn, _OUTBOX, retention.outbox_hours * 3600, batch),
        await _in_batches(conn, _INBOX, retention.inbox_hours * 3600, batch),
    )


async def _in_batches(conn: asyncpg.Connection, statement: str, seconds: float, batch: int) -> int:
    total = 0
    while True:
        deleted = int((await conn.execute(statement, seconds, batch)).split()[-1])
        total += deleted
        if deleted < batch:
            return total
        await asyncio.sleep(0)  # let the publishing loop run between batches


async def observe_backlog(conn: asyncpg.Connection, service: str) -> None:
    """Export the unpublished rows and the age of the oldest (the OutboxStalled alert)."""
    backlog, oldest = await conn.fetchrow(
        "SELECT count(*), extract(epoch FROM clock_timestamp() - min(created_at))"
        " FROM outbox WHERE published_at IS NULL"
    )
    metrics.OUTBOX_BACKLOG.labels(service).set(backlog)
    metrics.OUTBOX_OLDEST_AGE.labels(service).set(float(oldest or 0))


class Housekeeping:
    """The leader's bookkeeping loop: backlog figures and custody every `check_seconds`, retention every
    `retention.every_seconds`."""

    def __init__(self, service: str, retention: Retention, check_seconds: float) -> None:
        self.service, self.retention, self.check_seconds = service, retention, check_seconds
        self._purged_at = 0.0

    async def once(self, conn: asyncpg.Connection, custody: Custody | None) -> None:
        """One round: the backlog's figures, the custody mark, and retention when it is due."""
        await observe_backlog(conn, self.service)
        if custody is not None:
            await custody.confirm(conn)
        if time.monotonic() - self._purged_at >= self.retention.every_seconds:
            self._purged_at = time.monotonic()
            await purge(conn, self.retention)
