"""Board screens for the opening-day bench: N raw keep-alive connections to the board stream, in a process of
their own (so parsing their events does not slow the storm's load generator), recording when each change
reached each screen.

    python -m bench.board_viewers URL PROJECT_ID TOKEN N OUT

prints `ready` once every screen's stream answered 200, and on SIGTERM writes OUT: {"version": [arrival unix
times, one per screen that got it]}, plus {"errors": [...]} for screens that failed.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import time
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit


async def screen(url: str, path: str, token: str, arrivals: dict[int, list[float]], ready: asyncio.Queue) -> None:
    """One screen: GET the stream, then read events until cancelled; each event's version and arrival time."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = [
        f"GET {path} HTTP/1.1",
        f"Host: {parts.hostname}",
        f"Authorization: Bearer {token}",
        "Accept: text/event-stream",
    ]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
    status = await reader.readline()
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    ready.put_nowait(status.split()[1] == b"200")
    version = None
    while line := await reader.readline():  # chunked framing lines are skipped: only SSE fields are read
        if line.startswith(b"id: "):
            version = int(line[4:].strip())
        elif line.startswith(b"data: ") and version is not None:
            arrivals[version].append(time.time())
            version = None


async def main(url: str, project_id: str, token: str, count: int) -> dict:
    arrivals: dict[int, list[float]] = defaultdict(list)
    ready: asyncio.Queue = asyncio.Queue()
    path = f"/v1/projects/{project_id}/board/stream"
    tasks = [asyncio.ensure_future(screen(url, path, token, arrivals, ready)) for _ in range(count)]
    oks = [await asyncio.wait_for(ready.get(), 60) for _ in range(count)]
    print("ready" if all(oks) else f"refused {oks.count(False)}", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    errors = [repr(t.exception()) for t in tasks if t.done() and t.exception()]
    for task in tasks:
        task.cancel()
    return {"arrivals": arrivals, "errors": errors}


if __name__ == "__main__":
    url, project_id, token, count, out = sys.argv[1:6]
    Path(out).write_text(json.dumps(asyncio.run(main(url, project_id, token, int(count)))))
