"""Issue 25, the board's fan-out process without a socket: each change is encoded once however many screens follow
(every live screen is written the very same chunk), the bytes are those the in-process stream sends, a screen that
catches up gets what came meanwhile once, and a screen's memory is bounded (too far behind: dropped)."""

from __future__ import annotations

import asyncio
import socket
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import orjson
from sse_starlette.event import ServerSentEvent

from services.inventory.fanout import screens as screens_module
from services.inventory.fanout import wire
from services.inventory.fanout.process import FanOut
from services.inventory.fanout.screens import EVENT_BYTES, Hub, Screen
from services.inventory.feed import unit_event
from shared.runtime.settings import Settings

PROJECT, OTHER = uuid.uuid4(), uuid.uuid4()


class Transport:
    """What a screen's connection records: every write, the buffer limit set, and whether it was cut."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.high: int | None = None
        self.aborted = self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def set_write_buffer_limits(self, high: int) -> None:
        self.high = high

    def is_closing(self) -> bool:
        return self.aborted or self.closed

    def abort(self) -> None:
        self.aborted = True

    def close(self) -> None:
        self.closed = True


def _row(seq: int, project: uuid.UUID = PROJECT) -> dict[str, Any]:
    at = datetime(2030, 1, 1, tzinfo=UTC)
    return {"board_seq": seq, "project_id": project, "unit_id": uuid.UUID(int=seq), "to_status": "held", "at": at}


def _rows(first: int, last: int, project: uuid.UUID = PROJECT) -> list[dict[str, Any]]:
    return [
        _row(s, project) | {"building": "B1", "number": str(100 + s), "list_price": Decimal("1000000.00")}
        for s in range(first, last + 1)
    ]


def _hub(table: list[dict[str, Any]] | None = None, head: int = 0) -> tuple[Hub, list[dict[str, Any]]]:
    reports: list[dict[str, Any]] = []

    async def read(project: uuid.UUID, after: int, limit: int) -> list[Any]:
        return [r for r in table or [] if r["project_id"] == project and r["board_seq"] > after][:limit]

    return Hub(read, reports.append, lambda: head), reports


def _screen(hub: Hub, after: int | None = None, buffer: int = 100, project: uuid.UUID = PROJECT) -> Screen:
    screen = Screen(hub, 1, project, after, buffer, chunked=True)
    screen.connection_made(Transport())
    return screen


def test_an_event_is_what_the_in_process_stream_sends_and_a_moment_is_one_chunk() -> None:
    row = _rows(7, 7)[0]
    expected = ServerSentEvent(data=orjson.dumps(unit_event(row)).decode(), event="unit", id="7").encode()
    assert wire.event(row) == expected
    assert wire.frame(b"abc") == b"3\r\nabc\r\n" and wire.frame(b"abc", chunked=False) == b"abc"
    assert wire.ping().startswith(b": ping - ") and wire.ping().endswith(b"\r\n\r\n")


async def test_every_live_screen_is_written_the_same_chunk_and_each_change_is_encoded_once(monkeypatch) -> None:
    hub, reports = _hub(head=10)
    encoded: list[int] = []
    original = wire.event
    monkeypatch.setattr(screens_module.wire, "event", lambda row: encoded.append(row["board_seq"]) or original(row))
    followers = [_screen(hub) for _ in range(500)]
    elsewhere = _screen(hub, project=OTHER)
    hub.deliver(_rows(11, 14) + _rows(15, 15, OTHER))
    assert sorted(encoded) == [11, 12, 13, 14, 15]  # once each, for 501 screens
    chunks = {id(s.transport.writes[0]) for s in followers}
    assert len(chunks) == 1 and all(len(s.transport.writes) == 1 for s in followers)  # one write, one object
    assert followers[0].transport.writes[0].count(b"event: unit") == 4
    assert b"id: 15\r\n" in elsewhere.transport.writes[0] and b"id: 11\r\n" not in elsewhere.transport.writes[0]
    assert [len(r["push"]) for r in reports] == [5]  # the web process hears each change's delay once


async def test_a_resuming_screen_catches_up_then_gets_what_came_meanwhile_once() -> None:
    table = _rows(1, 30)
    hub, _ = _hub(table, head=25)
    screen = _screen(hub, after=10, buffer=8)
    hub.deliver(_rows(26, 32))  # while it catches up: kept, not written
    assert screen.transport.writes == [] and not screen.live
    await asyncio.gather(*hub.tasks)
    seen = [int(line[4:]) for w in screen.transport.writes for line in w.split(b"\r\n") if line.startswith(b"id: ")]
    assert seen == list(range(11, 33)) and screen.live  # 11–30 from the table, 31–32 of the moment, each once
    hub.deliver(_rows(33, 33))
    assert screen.transport.writes[-1] == wire.frame(wire.event(_rows(33, 33)[0]))


async def test_a_screen_too_far_behind_is_dropped_and_its_slot_reported_free() -> None:
    hub, reports = _hub(head=0)
    live = _screen(hub, buffer=20)
    assert live.transport.high == 20 * EVENT_BYTES  # what may wait for it in this process
    live.pause_writing()  # its buffer is past that: too slow
    assert live.transport.aborted
    live.connection_lost(None)
    assert {"ended": 1} in reports and hub.count() == 0
    catching_up = Screen(hub, 2, PROJECT, 0, 5, chunked=True)
    catching_up.transport = Transport()
    hub.projects.setdefault(PROJECT, set()).add(catching_up)  # as `joined`, its catch-up not yet done
    hub.deliver(_rows(1, 4))
    hub.deliver(_rows(5, 6))  # six changes wait for a buffer of five
    assert catching_up.transport.aborted and catching_up.waiting == []


async def test_screens_ending_while_the_web_process_reads_nothing_all_reach_it_later() -> None:
    """Each ended stream frees a slot in the web process: no report may be lost while its socket is full."""
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    theirs.setblocking(False)
    fanout = FanOut(Settings(), theirs)
    for sid in range(1, 5001):  # one a turn of the loop: thousands of messages, more than the socket holds
        fanout.report({"ended": sid, "push": [0.01]})
        await asyncio.sleep(0)
    heard: list[int] = []
    delays = 0
    mine.setblocking(False)
    for _ in range(1000):  # only now does the web process read
        await asyncio.sleep(0.002)
        while True:
            try:
                message = orjson.loads(mine.recv(1 << 20))
            except BlockingIOError:
                break
            heard += message.get("ended", [])
            delays += len(message.get("push", []))
        if len(heard) == 5000:
            break
    assert heard == list(range(1, 5001)) and delays == 5000
    mine.close()
    theirs.close()
