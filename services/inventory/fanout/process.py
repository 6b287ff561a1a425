"""The board's fan-out process (issue 25): the screens of one inventory web process, served away from its event
loop. The web process starts it (`fanout.link`), hands it each screen's connection over a Unix socket, and hears
back when a screen's stream ended (its slot is free again). Here a feed of its own — the board feed, numbering and
reading the changes — delivers each moment's changes to the screens (`fanout.screens`), and a comment line keeps
every connection awake. It stops when the web process goes away (its socket closes), or on SIGTERM or SIGINT.

    python -m services.inventory.fanout     (the web process runs it; settings and socket come by environment)
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import uuid
from typing import Any

import orjson
import uvloop

from services.inventory.fanout.screens import SEND_BUFFER, Hub, Screen
from services.inventory.feed import BoardFeed
from services.inventory.store import board as store
from shared.db.databases import service_dsn
from shared.db.pool import create_pool
from shared.runtime import logs
from shared.runtime.logs import log
from shared.runtime.settings import Settings

FD_ENV, SETTINGS_ENV = "ESTATE_BOARD_FANOUT_FD", "ESTATE_BOARD_FANOUT_SETTINGS"
# A moment: the changes of one pace are numbered, read and sent together, one chunk per screen. Each moment costs the
# database a numbering transaction and a read, and costs a write per screen; so the pace is 100 ms, longer with many
# screens so that the writes stay near WRITES_PER_SECOND (200 ms for 1,000 screens, at most 250 ms), and 250 ms
# while no screen follows. Commit to screen stays well under the second the board promises.
PACE, LONGEST_PACE, WRITES_PER_SECOND = 0.1, 0.25, 5_000
PING_SECONDS = 10  # contract: a comment line at least every 15 s
REPORT_ITEMS = 1000  # ended screens (and delays) per message to the web process
# The screens wait for the holds, never the reverse: where the two compete for a core, the scheduler serves the web
# process (and PostgreSQL) first. A moment's writes still go out within the second the board promises.
NICE = 10


class ScreensFeed(BoardFeed):
    """The board feed of this process: every moment's changes go to the hub's screens."""

    def __init__(self, pool: Any, hub_of: Any) -> None:
        super().__init__(pool)
        self.hub_of = hub_of
        self.wanted.set()

    def pace(self) -> float:
        """With nobody watching, the changes are still numbered (a screen resumes by number), at the slowest pace."""
        screens = self.hub_of().count()
        return min(max(PACE, screens / WRITES_PER_SECOND), LONGEST_PACE) if screens else LONGEST_PACE

    def deliver(self, rows: list[Any]) -> None:
        self.hub_of().deliver(rows)


class FanOut:
    """The process: its pool, feed and hub, and its end of the web process's socket."""

    def __init__(self, settings: Settings, control: socket.socket) -> None:
        self.settings, self.control = settings, control
        self.stopped = asyncio.Event()
        self.pool: Any = None
        self.ended: list[int] = []  # reports not sent yet: screens whose stream ended, push delays, other words
        self.delays: list[float] = []
        self.said: dict[str, Any] = {}
        self.feed: ScreensFeed | None = None
        self.hub = Hub(self._read, self.report, lambda: self.feed.head if self.feed else 0)

    async def _read(self, project_id: uuid.UUID, after: int, limit: int) -> list[Any]:
        async with self.pool.acquire() as conn:
            return await store.changes_after(conn, after, project_id, limit)

    def report(self, message: dict[str, Any]) -> None:
        """A word to the web process: kept, and sent with the others of this turn of the loop as one message (a
        thousand screens ending at once are one message, not a thousand that could overflow the socket)."""
        if not (self.ended or self.delays or self.said):
            asyncio.get_running_loop().call_soon(self._flush)
        self.ended += [message["ended"]] if "ended" in message else []
        self.delays += message.get("push", [])
        self.said |= {k: v for k, v in message.items() if k not in ("ended", "push")}

    def _flush(self) -> None:
        """Send what is kept; what the socket cannot take now waits until it can (nothing is dropped)."""
        loop = asyncio.get_running_loop()
        loop.remove_writer(self.control.fileno())
        while self.ended or self.delays or self.said:
            batch = self.said | {"ended": self.ended[:REPORT_ITEMS], "push": self.delays[:REPORT_ITEMS]}
            try:
                self.control.send(orjson.dumps(batch))
            except BlockingIOError:
                loop.add_writer(self.control.fileno(), self._flush)
                return
            except OSError:  # the web process is gone: nobody to tell
                self.ended, self.delays, self.said = [], [], {}
                return
            self.ended, self.delays, self.said = self.ended[REPORT_ITEMS:], self.delays[REPORT_ITEMS:], {}

    def _on_control(self) -> None:
        """Screens handed over (each message names one, with its connection), or the web process gone."""
        while True:
            try:
                message, fds, _, _ = socket.recv_fds(self.control, 4096, 1)
            except BlockingIOError:
                return
            except OSError:
                message, fds = b"", []
            if not message:
                self.stopped.set()  # the web process went away
                return
            self._take(orjson.loads(message), fds)

    def _take(self, message: dict[str, Any], fds: list[int]) -> None:
        """One screen: its connection, its project, where it resumes, its buffer."""
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            return
        conn = socket.socket(fileno=fds[0])
        conn.setblocking(False)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
        project_id, chunked = uuid.UUID(message["project_id"]), bool(message.get("chunked", True))
        screen = Screen(self.hub, message["screen"], project_id, message["after"], message["buffer"], chunked)
        task = asyncio.ensure_future(asyncio.get_running_loop().connect_accepted_socket(lambda: screen, conn))
        task.add_done_callback(lambda t: _close_unless_connected(t, conn))

    async def _ping(self) -> None:
        while True:
            await asyncio.sleep(PING_SECONDS)
            self.hub.ping()

    async def serve(self) -> None:
        """Until the web process goes away or SIGTERM: the feed and the screens."""
        loop = asyncio.get_running_loop()
        for stop in (signal.SIGTERM, signal.SIGINT):  # Ctrl-C on `estate serve` reaches this process too
            loop.add_signal_handler(stop, self.stopped.set)
        self.pool = await create_pool(service_dsn(self.settings, "inventory"), min_size=2, max_size=4)
        self.feed = ScreensFeed(self.pool, lambda: self.hub)
        tasks = [asyncio.ensure_future(self.feed.run()), asyncio.ensure_future(self._ping())]
        self.control.setblocking(False)
        loop.add_reader(self.control.fileno(), self._on_control)
        try:
            await self.feed.ready.wait()
            self.report({"ready": True})
            await self.stopped.wait()
        finally:
            loop.remove_reader(self.control.fileno())
            self.hub.close_all()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.wait_for(self.pool.close(), 5)


def _close_unless_connected(task: asyncio.Future[Any], conn: socket.socket) -> None:
    """A connection the loop could not take is closed (the screen reconnects)."""
    if task.cancelled() or task.exception() is not None:
        conn.close()


def main() -> None:
    """The process's entry: settings and the socket from the environment its web process gave it."""
    settings = Settings.model_validate_json(os.environ[SETTINGS_ENV])
    logs.configure("inventory-board", settings.log_level)
    os.nice(NICE)
    control = socket.socket(fileno=int(os.environ[FD_ENV]))
    log("board_fanout_started", pid=os.getpid())
    uvloop.run(FanOut(settings, control).serve())
