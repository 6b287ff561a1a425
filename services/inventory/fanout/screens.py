"""The screens of the board's fan-out process (issue 25): each one a connection the web process handed over, its
response head already sent. A moment's changes of a project are encoded once and the same chunk is written to every
screen that follows the project; a screen that resumes after a number first catches up from the table. Each
screen's memory is bounded: what waits for it in this process (its transport's buffer, or the moments queued while
it catches up) and in the kernel (SO_SNDBUF) is capped, and a screen further behind is dropped — its connection
closed — and resumes with Last-Event-ID."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from services.inventory.fanout import wire
from shared.kernel.clock import now_utc
from shared.runtime.logs import log

EVENT_BYTES = 192  # an event on the wire, about: a buffer of N changes is N × this many bytes
SEND_BUFFER = 64 * 1024  # the kernel's send buffer of one screen
CATCH_UP_WAIT = 30.0  # a screen catching up whose buffer does not drain for this long is dropped

Reader = Callable[[uuid.UUID, int, int], Awaitable[list[Any]]]  # (project, after, limit) → changes in number order
Report = Callable[[dict[str, Any]], None]  # tells the web process (a screen ended, push delays)


@dataclass
class Moment:
    """A moment's changes of one project: each event, and all of them as one body (the same for every screen)."""

    events: list[tuple[int, bytes]]
    body: bytes = field(init=False)
    chunk: bytes = field(init=False)

    def __post_init__(self) -> None:
        self.body = b"".join(e for _, e in self.events)
        self.chunk = wire.frame(self.body)

    @property
    def first(self) -> int:
        return self.events[0][0]

    @property
    def last(self) -> int:
        return self.events[-1][0]


class Screen(asyncio.Protocol):
    """One screen: where it stands (`last` number sent), and whether it follows live or still catches up."""

    def __init__(self, hub: Hub, sid: int, project_id: uuid.UUID, after: int | None, buffer: int, chunked: bool):
        self.hub, self.sid, self.project_id, self.buffer, self.chunked = hub, sid, project_id, buffer, chunked
        self.after, self.last = after, after or 0
        self.live, self.gone = False, False
        self.waiting: list[Moment] = []  # moments that came while it caught up
        self.waiting_events = 0
        self.drained = asyncio.Event()
        self.drained.set()
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        transport.set_write_buffer_limits(high=self.buffer * EVENT_BYTES)
        self.hub.joined(self)

    def data_received(self, data: bytes) -> None:
        """A screen only listens; anything it sends is ignored."""

    def connection_lost(self, exc: Exception | None) -> None:
        self.drained.set()
        self.hub.left(self)

    def pause_writing(self) -> None:
        """More than its buffer waits: live, it is too slow and is dropped; catching up, it is waited for."""
        if self.live:
            self.hub.drop(self, "behind")
        else:
            self.drained.clear()

    def resume_writing(self) -> None:
        self.drained.set()

    @property
    def closing(self) -> bool:
        return self.gone or self.transport.is_closing()

    def send(self, data: bytes) -> None:
        if data and not self.closing:
            self.transport.write(data)

    def take(self, moment: Moment) -> None:
        """A moment of its project: written at once when live, else kept (at most a buffer's worth) for later."""
        if self.live:
            self._write_after(moment)
            return
        self.waiting.append(moment)
        self.waiting_events += len(moment.events)
        if self.waiting_events > self.buffer:
            self.hub.drop(self, "behind while catching up")

    def go_live(self) -> None:
        """Caught up: what came meanwhile (each change once), then every moment as it comes."""
        for moment in self.waiting:
            self._write_after(moment)
        self.waiting.clear()
        self.waiting_events = 0
        self.live = True

    def _write_after(self, moment: Moment) -> None:
        if moment.last <= self.last:
            return
        if moment.first > self.last:  # the shared chunk, as every other screen gets it
            self.send(moment.chunk if self.chunked else moment.body)
        else:
            self.send(wire.batch([e for e in moment.events if e[0] > self.last], self.chunked))
        self.last = moment.last


class Hub:
    """The process's screens by project: it takes the feed's changes, encodes them once and writes them out."""

    def __init__(self, read: Reader, report: Report, head: Callable[[], int]) -> None:
        self.read, self.report, self.head = read, report, head
        self.projects: dict[uuid.UUID, set[Screen]] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    def joined(self, screen: Screen) -> None:
        """A screen handed over: live from now on, or first caught up from the table after its number."""
        self.projects.setdefault(screen.project_id, set()).add(screen)
        if screen.after is None:
            screen.last = self.head()
            screen.go_live()
            return
        task = asyncio.ensure_future(self._catch_up(screen))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _catch_up(self, screen: Screen) -> None:
        """The changes after the screen's number, a buffer's worth at a time, each page written once its buffer
        drained; then live."""
        try:
            while not screen.closing:
                rows = await self.read(screen.project_id, screen.last, screen.buffer)
                if rows and not screen.closing:
                    screen.send(wire.batch([(r["board_seq"], wire.event(r)) for r in rows], screen.chunked))
                    screen.last = rows[-1]["board_seq"]
                if len(rows) < screen.buffer:
                    break
                await asyncio.wait_for(screen.drained.wait(), CATCH_UP_WAIT)
            if not screen.closing:
                screen.go_live()
        except Exception as exc:  # a read failed, or the screen never drained: it resumes later
            log("board_screen_catch_up_failed", error=repr(exc)[:300], project_id=str(screen.project_id))
            self.drop(screen, "catch-up failed")

    def deliver(self, rows: list[Any]) -> None:
        """New changes in number order: per project with screens, encoded once and written to each."""
        by_project: dict[uuid.UUID, list[Any]] = {}
        for row in rows:
            by_project.setdefault(row["project_id"], []).append(row)
        delays = []
        for project_id, changes in by_project.items():
            screens = self.projects.get(project_id)
            if not screens:
                continue
            moment = Moment([(r["board_seq"], wire.event(r)) for r in changes])
            for screen in list(screens):
                screen.take(moment)
            at = now_utc()
            delays += [round(max((at - r["at"]).total_seconds(), 0.0), 4) for r in changes]
        if delays:
            self.report({"push": delays})

    def ping(self) -> None:
        """The keep-alive comment, one body for every screen."""
        body = wire.ping()
        chunk = wire.frame(body)
        for screens in self.projects.values():
            for screen in list(screens):
                screen.send(chunk if screen.chunked else body)

    def drop(self, screen: Screen, why: str) -> None:
        """Too far behind: let go of what waited for it and close its connection (it resumes with Last-Event-ID)."""
        if screen.closing:
            return
        log("board_viewer_dropped", project_id=str(screen.project_id), buffer=screen.buffer, why=why)
        screen.waiting.clear()
        screen.transport.abort()  # connection_lost follows: `left`

    def left(self, screen: Screen) -> None:
        """The screen's connection ended, however: it is forgotten and its stream slot freed in the web process."""
        if screen.gone:
            return
        screen.gone = True
        self.projects.get(screen.project_id, set()).discard(screen)
        if not self.projects.get(screen.project_id, True):
            del self.projects[screen.project_id]
        self.report({"ended": screen.sid})

    def close_all(self) -> None:
        """The process stops: every stream ends properly (the screens reconnect with Last-Event-ID)."""
        for screens in list(self.projects.values()):
            for screen in list(screens):
                screen.send(wire.END if screen.chunked else b"")
                screen.transport.close()

    def count(self) -> int:
        return sum(len(screens) for screens in self.projects.values())
