"""Reading the board's Server-Sent Events stream in tests, every wait bounded by a deadline (issue 11)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx


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
