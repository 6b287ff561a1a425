"""Issue 25, the board for a thousand screens: on a real socket a board stream is answered by the web process (its
head, its caps) and served by the board's fan-out process — the web process keeps no viewer and no queue of it —
each change once, resumable with Last-Event-ID; a screen that stops reading is dropped there while the others flow,
its slot freed in the web process; and when the fan-out process dies, it is started again and its screens resume."""

from __future__ import annotations

import os
import signal

import pytest

from services.inventory.fanout.link import link_of
from services.inventory.fanout.process import NICE
from services.inventory.feed import feed_of
from services.inventory.streams import slots_of
from tests.support.auth import auth
from tests.support.board import RawScreen, served, unit_changes
from tests.support.inventory import new_project
from tests.support.polling import async_wait_for

pytestmark = pytest.mark.timeout(150)


async def _ready(inventory) -> None:
    link = link_of(inventory.app.state.runtime)
    await async_wait_for(lambda: link.ready, timeout=30, what="the fan-out process is ready")


async def _start(inventory, settings, pid: str) -> str:
    board = await inventory.client.get(f"/v1/projects/{pid}/board", headers=auth(settings, "manager", pid))
    return str(board.json()["seq"])


async def test_a_stream_is_served_by_the_fanout_process_each_change_once_and_resumes(inventory, settings) -> None:
    await _ready(inventory)
    runtime = inventory.app.state.runtime
    pid, units = await new_project(inventory, settings, units=1)
    path, me = f"/v1/projects/{pid}/board/stream?after={await _start(inventory, settings, pid)}", "f-fanout"
    async with served(inventory.app) as url:
        screen = await RawScreen.open(url, path, auth(settings, "finance", pid, me))
        assert screen.status == 200 and screen.headers["content-type"].startswith("text/event-stream")
        assert screen.headers["transfer-encoding"] == "chunked" and screen.headers["cache-control"] == "no-store"
        assert link_of(runtime).screens() == 1 and feed_of(runtime).viewer_count() == 0  # none kept here
        mine, its = os.getpriority(os.PRIO_PROCESS, 0), os.getpriority(os.PRIO_PROCESS, link_of(runtime).pid)
        assert its == min(mine + NICE, 19)  # where they compete for a core, the holds come first
        await unit_changes(inventory, pid, units[0]["id"], 30)
        await screen.read_until(lambda s: len(s.events()) >= 30)
        seen = screen.ids()
        assert len(seen) == len(set(seen)) == 30 and seen == sorted(seen)
        assert {e["event"] for e in screen.events()} == {"unit"} and units[0]["id"] in screen.events()[0]["data"]
        screen.close()
        await async_wait_for(lambda: f"sub:{me}" not in slots_of(runtime).open, timeout=15, what="slot freed")
        await unit_changes(inventory, pid, units[0]["id"], 5)
        resumed = await RawScreen.open(url, path, auth(settings, "finance", pid, me) | {"Last-Event-ID": str(seen[9])})
        await resumed.read_until(lambda s: len(s.events()) >= 25)
        assert resumed.ids()[:20] == seen[10:] and len(resumed.ids()) == len(set(resumed.ids())) == 25
        resumed.close()


async def test_a_screen_that_stops_reading_is_dropped_there_while_the_others_flow(
    inventory, settings, app_with
) -> None:
    await _ready(inventory)
    runtime = inventory.app.state.runtime
    pid, units = await new_project(inventory, settings, units=1)
    path = f"/v1/projects/{pid}/board/stream?after={await _start(inventory, settings, pid)}"
    async with served(app_with(settings, board_stream_buffer=20)) as url:
        stalled = await RawScreen.open(url, path, auth(settings, "finance", pid, "f-stalls"), rcvbuf=4096)
        flowing = await RawScreen.open(url, path, auth(settings, "finance", pid, "f-flows"))
        sent = 0
        while "sub:f-stalls" in slots_of(runtime).open:  # it reads nothing: its buffers fill, then it is dropped
            assert sent < 6000, "the screen that reads nothing was never dropped"
            await unit_changes(inventory, pid, units[0]["id"], 15)  # a moment smaller than the buffer of 20
            sent += 15
            await flowing.read_until(lambda s, n=sent: len(s.events()) >= n)
        assert "sub:f-flows" in slots_of(runtime).open and link_of(runtime).screens() == 1
        await unit_changes(inventory, pid, units[0]["id"], 10)  # the others keep flowing after the drop
        await flowing.read_until(lambda s: len(s.events()) >= sent + 10)
        await stalled.read_until(lambda s: False, deadline=30)  # what reached it, then the end of its connection
        assert stalled.eof and 0 < len(stalled.ids()) < sent
        last = stalled.ids()[-1]
        resumed = await RawScreen.open(
            url, path, auth(settings, "finance", pid, "f-stalls") | {"Last-Event-ID": str(last)}
        )
        expected = [i for i in flowing.ids() if i > last]
        await resumed.read_until(lambda s: len(s.events()) >= len(expected))
        assert resumed.ids() == expected and flowing.ids() == sorted(set(flowing.ids()))
        for screen in (flowing, resumed):
            screen.close()


async def test_a_fanout_process_that_dies_is_started_again_and_its_screens_resume(inventory, settings) -> None:
    await _ready(inventory)
    runtime, link = inventory.app.state.runtime, link_of(inventory.app.state.runtime)
    pid, units = await new_project(inventory, settings, units=1)
    path = f"/v1/projects/{pid}/board/stream?after={await _start(inventory, settings, pid)}"
    async with served(inventory.app) as url:
        screen = await RawScreen.open(url, path, auth(settings, "finance", pid, "f-dies"))
        await unit_changes(inventory, pid, units[0]["id"], 3)
        await screen.read_until(lambda s: len(s.events()) >= 3)
        first = link.pid
        os.kill(first, signal.SIGKILL)
        await screen.read_until(lambda s: False, deadline=15)  # its connection died with it
        assert screen.eof
        await async_wait_for(lambda: "sub:f-dies" not in slots_of(runtime).open, timeout=15, what="its slot freed")
        await async_wait_for(lambda: link.ready and link.pid != first, timeout=30, what="a new fan-out process")
        await unit_changes(inventory, pid, units[0]["id"], 2)
        again = await RawScreen.open(
            url, path, auth(settings, "finance", pid, "f-dies") | {"Last-Event-ID": str(screen.ids()[-1])}
        )
        await again.read_until(lambda s: len(s.events()) >= 2)
        assert len(again.ids()) == 2 and min(again.ids()) > screen.ids()[-1] and link.screens() == 1
        again.close()
