"""Group round trips (issue 13): callers that ask within one turn of the event loop share one statement.

A `Batcher` sends what is waiting as soon as a lane is free, so a lone caller waits for nothing; while its
lanes are busy, new asks gather and leave together when one comes back. One statement then answers many
callers: fewer round trips, fewer system calls and less work per ask for the database and for this process.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import asyncpg

Ask = TypeVar("Ask")
Answer = TypeVar("Answer")


class Batcher(Generic[Ask, Answer]):
    """`run(conn, asks)` answers a list of asks in order, on one pooled connection; up to `lanes` at once."""

    def __init__(
        self,
        get_pool: Callable[[], asyncpg.Pool],
        run: Callable[[Any, Sequence[Ask]], Awaitable[Sequence[Answer]]],
        lanes: int = 2,
        most: int = 256,
        observe: Callable[[int], None] = lambda _size: None,
    ) -> None:
        self.get_pool, self.run, self.lanes, self.most, self.observe = get_pool, run, lanes, most, observe
        self._waiting: list[tuple[Ask, asyncio.Future[Answer]]] = []
        self._busy = 0
        self._lanes: set[asyncio.Task[None]] = set()

    async def ask(self, ask: Ask) -> Answer:
        """The answer to `ask`, from the next statement out."""
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        self._waiting.append((ask, future))
        if self._busy < self.lanes:
            self._busy += 1
            lane = asyncio.get_running_loop().create_task(self._lane())
            self._lanes.add(lane)  # the loop keeps only a weak reference to a task
            lane.add_done_callback(self._lanes.discard)
        return await future

    async def _lane(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self.most], self._waiting[self.most :]
                self.observe(len(batch))
                await self._send(batch)
        finally:
            self._busy -= 1

    async def _send(self, batch: list[tuple[Ask, asyncio.Future[Answer]]]) -> None:
        try:
            async with self.get_pool().acquire() as conn:
                answers = await self.run(conn, [ask for ask, _ in batch])
        except Exception as exc:  # every caller of the batch hears of it (and answers as it would alone)
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        except asyncio.CancelledError:  # the lane stopped (shutdown): its callers stop too, none waits for ever
            for _, future in batch:
                future.cancel()
            raise
        for (_, future), answer in zip(batch, answers, strict=True):
            if not future.done():  # a caller that gave up (its client left) is simply not told
                future.set_result(answer)
