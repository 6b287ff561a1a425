"""A process's hold desk (issue 13): where every hold attempt of the process is taken (`taking.hold_unit`), whichever
route asked. It keeps the pool, the levers of the hold path (settings `hold_in_one_statement`,
`hold_reads_together`, `hold_takes_together`: on by default, each a way back, the same answers either way) and the
batchers (shared.batching) that group the attempts of one turn of the event loop: their reads in one statement,
the takes of those that may win in another, one commit for all (group commit)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime

import asyncpg

from services.inventory import store
from services.inventory.store.hold_batches import Asked, Outcome, Take
from shared.db.batching import Batcher
from shared.messaging.outbox import OutboxRow
from shared.runtime import metrics
from shared.runtime.settings import Settings


class HoldDesk:
    """One per process: `get_pool` serves whatever a hold does on a connection of its own.

    `in_one_statement`: a winner's unit, hold, history and event in one statement (off: a transaction of its own).
    `reads_together`: an attempt reads its context with the attempts around it (off: each reads and takes on a
    connection of its own, alone). `takes_together`: those that may win take their units together (group commit;
    only with reads together and in one statement)."""

    def __init__(
        self,
        get_pool: Callable[[], asyncpg.Pool],
        *,
        in_one_statement: bool = True,
        reads_together: bool = True,
        takes_together: bool = True,
    ) -> None:
        self.get_pool = get_pool
        self.in_one_statement, self.reads_together, self.takes_together = (
            in_one_statement,
            reads_together,
            takes_together,
        )
        size = metrics.HOLD_GROUP_SIZE
        self._contexts: Batcher[Asked, asyncpg.Record | None] = Batcher(
            get_pool, store.hold_contexts, observe=size.labels("inventory", "read").observe
        )
        self._takes: Batcher[Take, Outcome] = Batcher(
            get_pool, store.take_units_with_events, observe=size.labels("inventory", "take").observe
        )

    @classmethod
    def for_settings(cls, get_pool: Callable[[], asyncpg.Pool], settings: Settings) -> HoldDesk:
        """The desk with the levers the settings give."""
        return cls(
            get_pool,
            in_one_statement=settings.hold_in_one_statement,
            reads_together=settings.hold_reads_together,
            takes_together=settings.hold_takes_together,
        )

    async def context(self, unit_id: uuid.UUID, customer_id: uuid.UUID, now: datetime) -> asyncpg.Record | None:
        """`store.hold_context`, read in one statement with the attempts around it."""
        return await self._contexts.ask((unit_id, customer_id, now))

    async def take(self, hold: store.HoldRow, event: OutboxRow) -> Outcome:
        """Won when the unit was taken with its hold, history and event, in a commit shared with others."""
        return await self._takes.ask((hold, event))
