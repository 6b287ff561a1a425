"""Reading the board's Server-Sent Events stream in tests, every wait bounded by a deadline (issue 11)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson


@dataclass
class Stream:
    """An open stream: its response, and the comment lines seen so far."""

    response: httpx.Response
    lines: AsyncIterator[str]
    comments: list[str] = field(default_factory=list)

    async def next_event(self, deadline: float = 10.0) -> dict[str, str]:
        """The next event (`event`, `id`, `data`), comments noted on the way; TimeoutError past the deadline."""
        fields: dict[str, str] = {}
        end = time.monotonic() + deadline
        while True:
            line = await asyncio.wait_for(anext(self.lines), max(end - time.monotonic(), 0.01))
            if line.startswith(":"):
                self.comments.append(line)
            elif line == "" and fields:
                return fields
            elif ":" in line:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")

    async def next_comment(self, deadline: float) -> str:
        """Read on until a comment line (the keep-alive) comes."""
        end = time.monotonic() + deadline
        while not self.comments:
            line = await asyncio.wait_for(anext(self.lines), max(end - time.monotonic(), 0.01))
            if line.startswith(":"):
                self.comments.append(line)
        return self.comments[0]


@asynccontextmanager
async def board_stream(url: str, headers: dict[str, str] | None = None, **params: str) -> AsyncIterator[Stream]:
    """GET the stream and keep it open for the block."""
    timeout = httpx.Timeout(10.0, read=30.0)
    async with httpx.AsyncClient(timeout=timeout) as http, http.stream("GET", url, headers=headers, params=params) as r:
        assert r.status_code == 200, (await r.aread()).decode()
        assert r.headers["content-type"].startswith("text/event-stream")
        yield Stream(r, r.aiter_lines())


@dataclass
class AsgiStream:
    """A board stream driven straight through an app's ASGI interface (issue 19), so a test decides how its client
    reads: after `stall_after` body chunks its `send` waits, as a server's write does for a client that reads
    nothing (flow control); `close()` is the client going away."""

    app: Any
    path: str
    query: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    stall_after: int | None = None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    chunks: list[bytes] = field(default_factory=list)
    _started: asyncio.Event = field(default_factory=asyncio.Event)
    _gone: asyncio.Event = field(default_factory=asyncio.Event)
    _asked: bool = False
    task: asyncio.Task | None = None

    async def open(self, deadline: float = 10.0) -> AsgiStream:
        """Start the request; return once the answer's status is there."""
        self.task = asyncio.ensure_future(self.app(self._scope(), self._receive, self._send))
        started = asyncio.ensure_future(self._started.wait())
        await asyncio.wait({started, self.task}, timeout=deadline, return_when=asyncio.FIRST_COMPLETED)
        started.cancel()
        assert self.status is not None, f"no answer within {deadline}s"
        return self

    def _scope(self) -> dict:
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": self.path,
            "raw_path": self.path.encode(),
            "query_string": urlencode(self.query).encode(),
            "root_path": "",
            "headers": [(k.lower().encode(), v.encode()) for k, v in self.headers.items()],
            "client": ("127.0.0.1", 40000),
            "server": ("inventory", 80),
        }

    async def _receive(self) -> dict:
        if not self._asked:
            self._asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self._gone.wait()
        return {"type": "http.disconnect"}

    async def _send(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.response_headers = {k.decode(): v.decode() for k, v in message.get("headers", [])}
            self._started.set()
        elif message.get("body"):
            if self.stall_after is not None and len(self.chunks) >= self.stall_after:
                await asyncio.Event().wait()  # a client that reads nothing more: this write never completes
            self.chunks.append(message["body"])

    def events(self) -> list[dict[str, str]]:
        """The events received so far (comment lines left out), each as its fields."""
        out = []
        for block in b"".join(self.chunks).decode().replace("\r\n", "\n").split("\n\n"):
            fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line and line[0] != ":")
            if fields:
                out.append(fields)
        return out

    def body(self) -> dict:
        return orjson.loads(b"".join(self.chunks))

    async def ended(self, deadline: float = 15.0) -> None:
        """Wait for the answer to end (the stream closed by the server, or after `close`)."""
        assert self.task is not None
        await asyncio.wait_for(asyncio.shield(self.task), deadline)

    async def close(self, deadline: float = 15.0) -> None:
        self._gone.set()
        await self.ended(deadline)
