"""The board feed (issue 11): one database listener per process fans every unit change out to the board viewers
of this process. A commit notifies `unit_changed`; the sequencer numbers committed changes in commit order and
notifies `board_sequenced`; each process reads what is new once and hands it to its viewers' queues. No viewer
ever queries the database for news; a viewer who reconnects catches up from the numbers (`changes_after`)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import orjson

from services.inventory.store import board as store
from shared import metrics
from shared.clock import now_utc
from shared.logs import log

SAFETY_TICK = 10.0  # also look every 10 s: a notification lost while the listener reconnected is caught here
# Issue 13: under an opening's storm every group commit notifies; one step per PACE numbers and reads them together
# (a screen sees a change at most this much later; the board's target is under a second).
PACE = 0.025
VIEWER_QUEUE = 2000  # a viewer this far behind is dropped; its browser reconnects and catches up from the table


def unit_event(row: Any) -> dict[str, Any]:
    """One `unit` event of the stream (no personal data: ids, the unit's place and status)."""
    return {
        "unit_id": str(row["unit_id"]),
        "building": row["building"],
        "number": row["number"],
        "status": row["to_status"],
        "version": row["board_seq"],
    }


@dataclass(eq=False)
class Viewer:
    """One connected board: its queue, and whether it fell too far behind to keep."""

    queue: asyncio.Queue[Any]
    dropped: bool = False


class BoardFeed:
    """The process's listener and its viewers, per project."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.head = 0
        self.viewers: dict[uuid.UUID, set[Viewer]] = {}
        self.wake = asyncio.Event()
        self.to_number = True
        self.ready = asyncio.Event()

    async def run(self) -> None:
        """The background job: listen, number, read, fan out; reconnect when the listener's connection drops."""
        while True:
            try:
                await self._listen()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database went away: the numbers are in the table, nothing is lost
                log("board_feed_failed", error=repr(exc))
                await asyncio.sleep(1.0)

    async def _listen(self) -> None:
        async with self.pool.acquire() as listener:
            await listener.add_listener("unit_changed", self._poke)
            await listener.add_listener("board_sequenced", self._poke)
            if not self.ready.is_set():
                self.head = await store.board_head(listener)
                self.ready.set()
            self.to_number = True  # a commit told while nobody listened is numbered at once, not at the safety tick
            self.wake.set()
            try:
                while True:
                    try:
                        await asyncio.wait_for(self.wake.wait(), SAFETY_TICK)
                    except TimeoutError:
                        self.to_number = True  # the safety tick numbers too: a notification may have been lost
                    self.wake.clear()
                    await self._step()
                    await asyncio.sleep(PACE)  # commits of the next moment are numbered and read together
            finally:
                await listener.remove_listener("unit_changed", self._poke)
                await listener.remove_listener("board_sequenced", self._poke)

    def _poke(self, _conn: Any, _pid: int, channel: str, _payload: str) -> None:
        """A commit (`unit_changed`: something to number) or another process's numbering (only something to read)."""
        if channel == "unit_changed":
            self.to_number = True
        self.wake.set()

    async def _step(self) -> None:
        """Number what was committed (when a commit said so), then hand every new change to its project's viewers."""
        async with self.pool.acquire() as conn:
            if self.to_number:
                self.to_number = False  # before numbering: a commit told meanwhile is numbered next time round
                await store.sequence_changes(conn)
            while rows := await store.changes_after(conn, self.head):
                for row in rows:
                    self._fan_out(row)
                self.head = rows[-1]["board_seq"]

    def _fan_out(self, row: Any) -> None:
        metrics.BOARD_PUSH.labels("inventory").observe(max((now_utc() - row["at"]).total_seconds(), 0.0))
        for viewer in list(self.viewers.get(row["project_id"], ())):
            try:
                viewer.queue.put_nowait(row)
            except asyncio.QueueFull:  # too slow: dropped; its browser reconnects with Last-Event-ID and catches up
                viewer.dropped = True
                self.viewers[row["project_id"]].discard(viewer)

    async def events(self, project_id: uuid.UUID, after: int | None) -> AsyncIterator[dict[str, Any]]:
        """A viewer's changes after `after` (None: from now): caught up from the table, then live, each once."""
        await self.ready.wait()
        viewer = Viewer(asyncio.Queue(VIEWER_QUEUE))
        self.viewers.setdefault(project_id, set()).add(viewer)  # before the catch-up: nothing falls between
        metrics.BOARD_VIEWERS.labels("inventory").set(self.viewer_count())
        try:
            last = self.head if after is None else after
            async for row in self._caught_up(project_id, last):
                last = row["board_seq"]
                yield _sse(row)
            while not (viewer.dropped and viewer.queue.empty()):
                row = await viewer.queue.get()
                if row["board_seq"] > last:
                    last = row["board_seq"]
                    yield _sse(row)
        finally:
            self.viewers.get(project_id, set()).discard(viewer)
            metrics.BOARD_VIEWERS.labels("inventory").set(self.viewer_count())

    async def _caught_up(self, project_id: uuid.UUID, after: int) -> AsyncIterator[Any]:
        async with self.pool.acquire() as conn:
            while rows := await store.changes_after(conn, after, project_id):
                for row in rows:
                    yield row
                after = rows[-1]["board_seq"]

    def viewer_count(self) -> int:
        return sum(len(queues) for queues in self.viewers.values())


def _sse(row: Any) -> dict[str, Any]:
    return {"event": "unit", "id": str(row["board_seq"]), "data": orjson.dumps(unit_event(row)).decode()}


def feed_of(runtime: Any) -> BoardFeed:
    """The process's one feed (made by whichever comes first: the job or a viewer)."""
    feed = getattr(runtime, "board_feed", None)
    if feed is None:
        feed = runtime.board_feed = BoardFeed(runtime.pool)
    return feed


async def board_feed(runtime: Any) -> None:
    """The background job: one database listener per process for every board viewer (issue 11)."""
    await feed_of(runtime).run()
