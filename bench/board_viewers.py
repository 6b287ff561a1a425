"""Board screens for the opening-day bench: N raw keep-alive connections to the board stream, in a process of their
own (so reading their events does not slow the storm's load generator), recording when each change reached each
screen. While the storm runs a screen only keeps what arrives with its arrival time (an asyncio protocol on uvloop:
the cost is one callback per arrival, not per event); the events' `id:`s are read once it is over.

    python -m bench.board_viewers URL PROJECT_ID TOKEN N OUT

prints `ready` once every screen's stream answered 200, and on SIGTERM writes OUT: {"arrivals": {"version":
[arrival unix times, one per screen that got it]}, "errors": [...], "ended": screens whose stream ended early}.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import uvloop

IDS = re.compile(rb"(?:^|\n)id: (\d+)\r?\n")
END_OF_EVENT = b"\r\n\r\n"


class Screen(asyncio.Protocol):
    """One screen's connection: its status, and each arrival as it came (time and bytes), read only at the end."""

    def __init__(self, request: bytes, ready: asyncio.Future[bool]) -> None:
        self.request, self.ready = request, ready
        self.arrivals: list[tuple[float, bytes]] = []
        self.head = b""
        self.ended = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport.write(self.request)  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        if self.ready.done():
            self.arrivals.append((time.time(), data))  # all a screen does while the storm runs
            return
        head, end, rest = (self.head + data).partition(b"\r\n\r\n")
        if not end:
            self.head = head
            return
        self.ready.set_result(head.split(b" ", 2)[1] == b"200")
        if rest:
            self.arrivals.append((time.time(), rest))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_result(False)
        if not self.ended.done():
            self.ended.set_result(exc)

    def versions(self) -> list[tuple[float, bytes]]:
        """(arrival time, id) of every complete event, an event's time being that of the arrival that completed it."""
        out, pending = [], b""
        for at, data in self.arrivals:
            data = pending + data
            cut = data.rfind(END_OF_EVENT)
            if cut < 0:
                pending = data
                continue
            pending = data[cut + 4 :]
            out += [(at, version) for version in IDS.findall(data, 0, cut + 4)]
        return out


async def _open(url: str, path: str, token: str) -> Screen:
    parts = urlsplit(url)
    request = (
        f"GET {path} HTTP/1.1\r\nHost: {parts.hostname}\r\nAuthorization: Bearer {token}\r\n"
        "Accept: text/event-stream\r\n\r\n"
    ).encode()
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[bool] = loop.create_future()
    _, screen = await loop.create_connection(lambda: Screen(request, ready), parts.hostname, parts.port)
    return screen


async def main(url: str, project_id: str, token: str, count: int) -> dict:
    path = f"/v1/projects/{project_id}/board/stream"
    screens: list[Screen] = []
    for start in range(0, count, 100):  # a hundred at a time, as a hall's screens come on
        screens += await asyncio.gather(*(_open(url, path, token) for _ in range(start, min(start + 100, count))))
    oks = [await asyncio.wait_for(s.ready, 120) for s in screens]
    print("ready" if all(oks) else f"refused {oks.count(False)}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    arrivals: dict[int, list[float]] = defaultdict(list)
    for screen in screens:
        for at, version in screen.versions():
            arrivals[int(version)].append(at)
    ended = [repr(s.ended.result()) for s in screens if s.ended.done()]
    return {"arrivals": arrivals, "errors": [e for e in ended if e != "None"], "ended": len(ended)}


if __name__ == "__main__":
    url, project_id, token, count, out = sys.argv[1:6]
    Path(out).write_text(json.dumps(uvloop.run(main(url, project_id, token, int(count)))))
