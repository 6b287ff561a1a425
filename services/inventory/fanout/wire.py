"""The board stream on the wire (issue 25): Server-Sent Events in HTTP/1.1 chunked framing, byte for byte what the
in-process stream (sse-starlette under uvicorn) sends, so a screen cannot tell which process serves it. Each
change is encoded here once, and one framed chunk of a moment's changes is written to every screen that follows
the project."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson

from services.inventory.feed import unit_event

END = b"0\r\n\r\n"  # the last chunk: the stream ends (the screen reconnects with Last-Event-ID)


def event(row: Any) -> bytes:
    """One `unit` event: `id:` the change's board number, `data:` the change (no personal data)."""
    return b"id: %d\r\nevent: unit\r\ndata: %s\r\n\r\n" % (row["board_seq"], orjson.dumps(unit_event(row)))


def ping() -> bytes:
    """The keep-alive comment line (contract: one at least every 15 s)."""
    return f": ping - {datetime.now(UTC)}\r\n\r\n".encode()


def frame(body: bytes, chunked: bool = True) -> bytes:
    """`body` as one chunk of a chunked response (as is when the response is not chunked)."""
    return b"%x\r\n%s\r\n" % (len(body), body) if chunked and body else body


def batch(events: Iterable[tuple[int, bytes]], chunked: bool = True) -> bytes:
    """Several events as one chunk."""
    return frame(b"".join(e for _, e in events), chunked)
