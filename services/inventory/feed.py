"""The board feed (issue 11): one database listener fans every unit change out to the board viewers. A commit
notifies `unit_changed`; the sequencer numbers committed changes in commit order and notifies `board_sequenced`;
each feed reads what is new once and hands it on. No viewer ever queries the database for news; a viewer who
reconnects catches up from the numbers (`changes_after`). Issue 25: the screens of a web process are served by its
fan-out process (`services/inventory/fanout`), whose feed is this one delivering to its screens; the web process's
own feed wakes only for a stream it serves itself (one that could not be handed over), so the hold path's event
loop neither numbers nor reads changes while the fan-out process runs."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson

from services.inventory.store import board as store
from shared.db.rows import json_view
from shared.kernel.clock import now_utc
from shared.runtime import metrics
from shared.runtime.jobs import keep_trying
from shared.runtime.logs import log

SAFETY_TICK = 10.0  # also look every 10 s: a notification lost while the listener reconnected is caught here
# Issue 13: under an opening's storm every group commit notifies; one step per PACE numbers and reads them together
# (a screen sees a change at most this much later; the board's target is under a second).
PACE = 0.025
VIEWER_QUEUE = 2000  # changes waiting for one viewer (ESTATE_BOARD_STREAM_BUFFER): further behind, it is dropped


def unit_event(row: Any) -> dict[str, Any]:
    """One `unit` event of the stream (no personal data: ids, the unit's place, status and list price)."""
    return json_view(row, "unit_id", "building", "number", "list_price", status="to_status", version="board_seq")


@dataclass(eq=False)
class Viewer:
    """One connected board: the changes waiting for it (at most `buffer`), and whether it fell further behind."""

    project_id: uuid.UUID
    buffer: int = VIEWER_QUEUE
    queue: asyncio.Queue[Any] = field(init=False)
    dropped: asyncio.Event = field(init=False, default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(self.buffer)

    def drop(self) -> None:
        """Too far behind (issue 19): what waited is let go at once, and the stream ends — its screen resumes with
        Last-Event-ID and catches up from the table. A stream waiting for news wakes to the end mark (None)."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)
        self.dropped.set()
        log("board_viewer_dropped", project_id=str(self.project_id), buffer=self.buffer)


class BoardFeed:
    """The process's listener and its viewers, per project."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.head = 0
        self.viewers: dict[uuid.UUID, set[Viewer]] = {}
        self.wake = asyncio.Event()
        self.to_number = True
        self.ready = asyncio.Event()
        self.wanted = asyncio.Event()  # set by the first viewer: until then the feed does nothing
        self.elsewhere: Callable[[], int] = lambda: 0  # screens of this process served by its fan-out process

    async def run(self) -> None:
        """The background job, once a viewer wants it: listen, number, read, fan out; reconnect when the listener's
        connection drops (the numbers are in the table: nothing is lost meanwhile)."""
        await self.wanted.wait()
        await keep_trying("board_feed_failed", self._listen, 1.0)

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
                    await asyncio.sleep(self.pace())  # commits of the next moment are numbered and read together
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
                self.deliver(rows)
                self.head = rows[-1]["board_seq"]

    def pace(self) -> float:
        """How long a moment is: the commits within one are numbered, read and handed on together."""
        return PACE

    def deliver(self, rows: list[Any]) -> None:
        """Hand the new changes (in number order) to the viewers of their projects."""
        for row in rows:
            self._fan_out(row)

    def _fan_out(self, row: Any) -> None:
        metrics.BOARD_PUSH.labels("inventory").observe(max((now_utc() - row["at"]).total_seconds(), 0.0))
        for viewer in list(self.viewers.get(row["project_id"], ())):
            try:
                viewer.queue.put_nowait(row)
            except asyncio.QueueFull:  # too slow: dropped; its browser reconnects with Last-Event-ID and catches up
                self.viewers[row["project_id"]].discard(viewer)
                viewer.drop()

    async def events(
        self, project_id: uuid.UUID, after: int | None, viewer: Viewer | None = None
    ) -> AsyncIterator[dict[str, Any]]:
        """A viewer's changes after `after` (None: from now): caught up from the table, then live, each once; until
        the viewer is dropped (issue 19: then the stream ends, and resuming after its last `id:` misses nothing)."""
        self.wanted.set()
        await self.ready.wait()
        viewer = viewer or Viewer(project_id)
        self.viewers.setdefault(project_id, set()).add(viewer)  # before the catch-up: nothing falls between
        self.count_viewers()
        try:
            last = self.head if after is None else after
            async for row in self._caught_up(viewer, last):
                last = row["board_seq"]
                yield _sse(row)
            while (row := await viewer.queue.get()) is not None:
                if row["board_seq"] > last:
                    last = row["board_seq"]
                    yield _sse(row)
        finally:
            self.viewers.get(project_id, set()).discard(viewer)
            self.count_viewers()

    async def _caught_up(self, viewer: Viewer, after: int) -> AsyncIterator[Any]:
        """The changes after `after` from the table, a buffer's worth at a time, until the viewer is dropped. A
        connection is held for each read only, never while a slow screen is being written to."""
        while not viewer.dropped.is_set():
            async with self.pool.acquire() as conn:
                rows = await store.changes_after(conn, after, viewer.project_id, viewer.buffer)
            for row in rows:
                if viewer.dropped.is_set():
                    return
                yield row
            if len(rows) < viewer.buffer:
                return
            after = rows[-1]["board_seq"]

    def viewer_count(self) -> int:
        return sum(len(queues) for queues in self.viewers.values())

    def count_viewers(self) -> None:
        """The process's screens, its own and those its fan-out process serves, as the metric shows them."""
        metrics.BOARD_VIEWERS.labels("inventory").set(self.viewer_count() + self.elsewhere())


def _sse(row: Any) -> dict[str, Any]:
    return {"event": "unit", "id": str(row["board_seq"]), "data": orjson.dumps(unit_event(row)).decode()}


def feed_of(runtime: Any) -> BoardFeed:
    """The process's one feed (made by whichever comes first: the job or a viewer)."""
    feed = getattr(runtime, "board_feed", None)
    if feed is None:
        feed = runtime.board_feed = BoardFeed(runtime.pool)
    return feed


async def board_feed(runtime: Any) -> None:
    """The background job: one database listener per process for the board viewers it serves itself (issue 11),
    asleep until the first of them comes (issue 25: the fan-out process serves the others)."""
    await feed_of(runtime).run()
