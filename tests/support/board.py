"""Reading the board's Server-Sent Events stream in tests, every wait bounded by a deadline (issue 11); an app served
on a real socket, and screens on real sockets, for the board's fan-out process (issue 25)."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import uvicorn

from shared.tools.embedded import free_port
from tests.support.polling import async_wait_for


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


@asynccontextmanager
async def served(app: Any) -> AsyncIterator[str]:
    """The app (its lifespan already running) served by uvicorn on a free port in this event loop: its connections
    are real sockets, so a board stream is handed to the fan-out process as in production. Yields the base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=free_port(), lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve())
    await async_wait_for(lambda: server.started or task.done(), timeout=15, what="uvicorn serving")
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


@dataclass
class RawScreen:
    """A board screen on a real socket: the answer's status and headers, and every byte of the body that came."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    data: bytes = b""
    eof: bool = False

    @classmethod
    async def open(cls, url: str, path: str, headers: dict[str, str], rcvbuf: int | None = None) -> RawScreen:
        """GET the stream; `rcvbuf`: a small receive buffer, for a screen that will stop reading."""
        host, port = url.removeprefix("http://").split(":")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.connect((host, int(port)))
        sock.setblocking(False)
        reader, writer = await asyncio.open_connection(sock=sock)
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 15)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        screen = cls(reader, writer, int(status_line.split()[1]))
        screen.headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines if h)}
        return screen

    async def read_until(self, done: Callable[[RawScreen], bool], deadline: float = 15.0) -> None:
        """Read what comes until `done(self)`, or the stream ends (then `eof`); TimeoutError past the deadline."""
        end = time.monotonic() + deadline
        while not done(self) and not self.eof:
            chunk = await asyncio.wait_for(self.reader.read(65536), max(end - time.monotonic(), 0.01))
            self.data += chunk
            self.eof = not chunk

    def events(self) -> list[dict[str, str]]:
        """The events received so far (comment lines and the chunks' framing left out), each as its fields."""
        out = []
        for block in self.data.decode().split("\r\n\r\n"):
            fields = dict(line.split(": ", 1) for line in block.split("\r\n") if ": " in line and line[0] != ":")
            if "id" in fields:
                out.append(fields)
        return out

    def ids(self) -> list[int]:
        return [int(e["id"]) for e in self.events()]

    def close(self) -> None:
        self.writer.close()


UNIT_CHANGES = (
    "INSERT INTO unit_history (unit_id, project_id, from_status, to_status, reason)"
    " SELECT $1, $2, 'x', CASE WHEN i % 2 = 0 THEN 'held' ELSE 'available' END, 'test'"
    " FROM generate_series(1, $3) AS i"
)


async def unit_changes(inventory: Any, pid: str, unit_id: str, n: int) -> None:
    """`n` status changes of the unit, committed together (the board shows each)."""
    async with inventory.pool.acquire() as conn:
        await conn.execute(UNIT_CHANGES, uuid.UUID(unit_id), uuid.UUID(pid), n)
