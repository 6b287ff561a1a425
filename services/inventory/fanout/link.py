"""The web process's end of its board fan-out process (issue 25). A job starts the process (`fanout.process`), with a
Unix socket between them, and starts it again if it dies; a screen's connection is handed over on that socket once
its response head is sent, and the slot it took (a board link's, a person's) is freed when the fan-out process says
its stream ended. The web process keeps nothing of a screen but that slot: no queue, no write, no read of changes.

The connection is uvicorn's: its request cycle — the coroutine the request's task runs — holds the transport, whose
socket is duplicated into the message (SCM_RIGHTS); the web process then closes its own copy, which ends nothing on
the wire (the fan-out process holds the other). Under another server, a test's in-process client, or TLS, there is
no socket to hand over, and the stream is served in the web process as before (`streams.BoardStream`)."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from services.inventory.fanout.process import FD_ENV, SETTINGS_ENV
from services.inventory.feed import feed_of
from shared.runtime import metrics
from shared.runtime.logs import log
from shared.runtime.settings import Settings

ROOT = Path(__file__).resolve().parents[3]
RESTART_SECONDS = 1.0  # a fan-out process that died is started again after this (its screens reconnect meanwhile)
STOP_SECONDS = 5.0


class FanOutLink:
    """The fan-out process as its web process sees it: whether it takes screens now, and the slots of its screens."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.control: socket.socket | None = None
        self.ready = False
        self.releases: dict[int, Callable[[], None]] = {}
        self.screens_handed = 0
        self.counted: Callable[[], None] = lambda: None
        self.pid: int | None = None  # the fan-out process now

    def hand_over(self, transport: Any, screen: dict[str, Any], release: Callable[[], None]) -> bool:
        """The connection and what the fan-out process needs of the screen (project, resume point, buffer, framing);
        False when it cannot take it now (not running, its socket full) — the caller then closes the connection."""
        sock = transport.get_extra_info("socket")
        if not self.ready or self.control is None or sock is None:
            return False
        self.screens_handed += 1
        fd = os.dup(sock.fileno())
        try:
            socket.send_fds(self.control, [orjson.dumps(screen | {"screen": self.screens_handed})], [fd])
        except OSError:
            return False
        finally:
            os.close(fd)
        self.releases[self.screens_handed] = release
        self.counted()
        return True

    def screens(self) -> int:
        return len(self.releases)

    def _on_report(self) -> None:
        """What the fan-out process says: it is ready, a screen's stream ended, how long changes took to go out."""
        while self.control is not None:
            try:
                message = self.control.recv(65536)
            except BlockingIOError:
                return
            except OSError:
                message = b""
            if not message:
                return
            self._heard(orjson.loads(message))

    def _heard(self, report: dict[str, Any]) -> None:
        if report.get("ready"):
            self.ready = True
            log("board_fanout_ready")
        for screen in report.get("ended", ()):
            release = self.releases.pop(screen, None)
            if release is not None:
                release()
        if report.get("ended"):
            self.counted()
        for seconds in report.get("push", ()):
            metrics.BOARD_PUSH.labels("inventory").observe(seconds)

    def _forget_screens(self) -> None:
        """The fan-out process is gone, and its screens' connections with it: their slots are free."""
        releases, self.releases = self.releases, {}
        for release in releases.values():
            release()
        self.counted()

    async def run(self) -> None:
        """The job: the fan-out process, started again whenever it ends."""
        while True:
            await self._run_once()
            await asyncio.sleep(RESTART_SECONDS)

    async def _run_once(self) -> None:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = os.environ | {FD_ENV: str(theirs.fileno()), SETTINGS_ENV: self.settings.model_dump_json()}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        command = (sys.executable, "-m", "services.inventory.fanout")
        try:
            process = await asyncio.create_subprocess_exec(
                *command, pass_fds=(theirs.fileno(),), env=env, cwd=ROOT, stdin=asyncio.subprocess.DEVNULL
            )
        finally:
            theirs.close()
        self.pid = process.pid
        loop = asyncio.get_running_loop()
        mine.setblocking(False)
        self.control = mine
        loop.add_reader(mine.fileno(), self._on_report)
        try:
            log("board_fanout_exited", code=await process.wait())
        finally:
            loop.remove_reader(mine.fileno())
            self.ready, self.control = False, None
            mine.close()  # the fan-out process sees its socket close and stops
            self._forget_screens()
            await _stopped(process)


async def _stopped(process: asyncio.subprocess.Process) -> None:
    """The process ends (it stops by itself once its socket closed; SIGTERM, then SIGKILL, if it does not)."""
    if process.returncode is not None:
        return
    try:
        await asyncio.wait_for(asyncio.shield(process.wait()), STOP_SECONDS)
    except (TimeoutError, asyncio.CancelledError):
        process.kill()


def link_of(runtime: Any) -> FanOutLink:
    """The web process's one link (made by whichever comes first: the job or a stream)."""
    link = getattr(runtime, "board_fanout", None)
    if link is None:
        link = runtime.board_fanout = FanOutLink(runtime.settings)
        feed = feed_of(runtime)
        feed.elsewhere = link.screens
        link.counted = feed.count_viewers
    return link


async def board_fanout(runtime: Any) -> None:
    """The background job: this web process's board fan-out process (issue 25)."""
    await link_of(runtime).run()


def connection_of(scope: dict[str, Any]) -> Any | None:
    """uvicorn's request cycle of this request (its `transport`, its `chunked_encoding` once the head is sent) when
    the connection can be handed over: a plain TCP connection whose peer is the scope's client. None otherwise."""
    task = asyncio.current_task()
    frame = getattr(task.get_coro(), "cr_frame", None) if task is not None else None
    cycle = frame.f_locals.get("self") if frame is not None else None
    transport = getattr(cycle, "transport", None)
    if transport is None or not all(hasattr(transport, m) for m in ("get_extra_info", "get_write_buffer_size")):
        return None
    if transport.is_closing() or transport.get_extra_info("ssl_object") is not None:
        return None
    peer, client = transport.get_extra_info("peername"), scope.get("client")
    if not peer or not client or tuple(peer[:2]) != tuple(client[:2]):
        return None
    return cycle
