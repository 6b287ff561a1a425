"""A small keep-alive HTTP/1.1 load generator on raw asyncio streams.

httpx spends more CPU per request than the service under test on this machine; this client parses
only the status line and Content-Length, so the service, not the generator, is the bottleneck.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Result:
    status: int
    latency_ms: float


@dataclass
class Connection:
    host: str
    port: int
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method: str, path: str, body: bytes, headers: dict[str, str]) -> Result:
        if self.writer is None:
            await self.open()
        head = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}",
            f"Content-Length: {len(body)}",
            "Content-Type: application/json",
        ] + [f"{k}: {v}" for k, v in headers.items()]
        started = time.perf_counter()
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        status_line = await self.reader.readline()
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and "close" in value.lower():
                close = True
        await self.reader.readexactly(length)
        elapsed = (time.perf_counter() - started) * 1000
        if close:
            self.writer.close()
            self.writer = None
        return Result(int(status_line.split()[1]), elapsed)


@dataclass
class Recorder:
    results: list[Result] = field(default_factory=list)


def pool(url: str, size: int) -> list[Connection]:
    parts = urlsplit(url)
    return [Connection(parts.hostname, parts.port) for _ in range(size)]


def percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))], 2)
