"""Board streams open in this process, counted per holder (issue 19): a board link, and a person (a token's `sub`),
each hold a few streams at once (`ESTATE_BOARD_STREAMS_PER_LINK`, `ESTATE_BOARD_STREAMS_PER_SUBJECT`). A stream
takes its slots before it starts and gives them back however it ends. Each process counts its own streams. Issue
25: a stream is answered here (its head, as the framework would) and its connection handed to the board's fan-out
process (`fanout.link`); only one that cannot be handed over is served in this process (`BoardStream`)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import anyio
from sse_starlette import EventSourceResponse
from starlette.responses import Response

from services.inventory.domain.board import TooManyStreams, check_stream_room
from services.inventory.fanout.link import connection_of, link_of
from services.inventory.feed import Viewer, feed_of
from shared.runtime.logs import log

PING_SECONDS = 10  # a comment line this often keeps proxies and the screen's connection awake (contract: ≤ 15 s)
# The head of a stream the fan-out process serves: what sse-starlette's own answer says (uvicorn adds the chunking).
HEAD = [
    (b"content-type", b"text/event-stream; charset=utf-8"),
    (b"cache-control", b"no-store"),
    (b"connection", b"keep-alive"),
    (b"x-accel-buffering", b"no"),
]


class StreamSlots:
    """How many streams each holder has open now."""

    def __init__(self) -> None:
        self.open: dict[str, int] = {}

    def take(self, holders: dict[str, tuple[str, int]]) -> Callable[[], None]:
        """A slot for each holder (key → (what to call it, cap)), all or none; `TooManyStreams` when one is full.
        Returns the release: call it once when the stream ends (a second call does nothing)."""
        for key, (name, cap) in holders.items():
            try:
                check_stream_room(name, self.open.get(key, 0), cap)
            except TooManyStreams:
                log("board_stream_refused", holder=name, cap=cap)
                raise
        for key in holders:
            self.open[key] = self.open.get(key, 0) + 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                for key in holders:
                    self.open[key] -= 1
                    if not self.open[key]:
                        del self.open[key]

        return release


def holders(settings: Any, link: str | None, subject: str | None) -> dict[str, tuple[str, int]]:
    """Whose slots a stream takes: its board link's (kept by digest, not the secret itself) or its person's."""
    if link is not None:
        digest = hashlib.sha256(link.encode()).hexdigest()
        return {f"link:{digest}": ("this board link", settings.board_streams_per_link)}
    return {f"sub:{subject}": (f"person {subject}", settings.board_streams_per_subject)}


def slots_of(runtime: Any) -> StreamSlots:
    """The process's one count (made by the first stream)."""
    slots = getattr(runtime, "board_stream_slots", None)
    if slots is None:
        slots = runtime.board_stream_slots = StreamSlots()
    return slots


def board_stream(
    runtime: Any, settings: Any, project_id: uuid.UUID, resume: int | None, release: Callable[[], None]
) -> Response:
    """One screen's stream of a project's changes after `resume` (None: from now), its slots given back however it
    ends: handed to the fan-out process when it runs and the connection allows, else served here."""

    def here() -> Response:
        viewer = Viewer(project_id, settings.board_stream_buffer)
        events = feed_of(runtime).events(project_id, resume, viewer)
        return BoardStream(events, viewer, release, ping=PING_SECONDS, headers={"Cache-Control": "no-store"})

    screen = {"project_id": str(project_id), "after": resume, "buffer": settings.board_stream_buffer}
    return HandedStream(runtime, screen, release, here)


class HandedStream(Response):
    """A stream whose head is sent here and whose connection then goes to the fan-out process; served here (`here`)
    when that cannot be (no fan-out process ready, no socket to hand over). If the hand-over fails after the head,
    the connection is closed and the screen reconnects."""

    def __init__(self, runtime: Any, screen: dict[str, Any], release: Callable[[], None], here: Callable[[], Any]):
        super().__init__()
        self.runtime, self.screen, self.release, self.here = runtime, screen, release, here

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        link = link_of(self.runtime)
        cycle = connection_of(scope) if link.ready else None
        if cycle is None:
            return await self.here()(scope, receive, send)
        await send({"type": "http.response.start", "status": 200, "headers": HEAD})
        transport = cycle.transport
        chunked = getattr(cycle, "chunked_encoding", True) is not False
        if transport.get_write_buffer_size() or not link.hand_over(
            transport, self.screen | {"chunked": chunked}, self.release
        ):
            self.release()
        transport.close()  # this process's copy of the connection; the fan-out process holds its own
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                while (await receive())["type"] != "http.disconnect":
                    pass


class BoardStream(EventSourceResponse):
    """One screen's stream served in this process (issue 19): it ends when the screen is dropped — even while a
    write waits on a client that reads nothing — and gives its slots back however it ends."""

    def __init__(self, events: Any, viewer: Viewer, release: Callable[[], None], **options: Any) -> None:
        super().__init__(events, **options)
        self.viewer, self.release = viewer, release

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            async with anyio.create_task_group() as group:
                group.start_soon(self._cut_when_dropped, group.cancel_scope)
                await super().__call__(scope, receive, send)
                group.cancel_scope.cancel()
        except BaseExceptionGroup as failed:  # the stream's own failure, unwrapped, as the stack around expects it
            raise (failed.exceptions[0] if len(failed.exceptions) == 1 else failed) from None
        finally:
            self.release()

    async def _cut_when_dropped(self, scope: anyio.CancelScope) -> None:
        await self.viewer.dropped.wait()
        scope.cancel()
