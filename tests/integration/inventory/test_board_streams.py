"""Issue 19: the board stream's limits. A board link and a person (a token's `sub`) each hold a few streams at once
(429 with Retry-After and the contract's error body beyond; a slot is free again when a stream closes), and a screen
that stops reading is dropped once its buffer is full — its stream ends, the other screens keep flowing, and a
reconnect with Last-Event-ID gets every change since, once."""

from __future__ import annotations

import uuid

import pytest

from services.inventory.feed import feed_of
from services.inventory.streams import slots_of
from tests.support.auth import auth
from tests.support.board import AsgiStream, unit_changes
from tests.support.inventory import new_project
from tests.support.polling import async_wait_for

pytestmark = pytest.mark.timeout(120)


def _stream(app, pid: str, headers: dict[str, str] | None = None, **query: str) -> AsgiStream:
    return AsgiStream(app, f"/v1/projects/{pid}/board/stream", query=query, headers=headers or {})


async def test_a_link_and_a_person_hold_a_few_streams_and_a_closed_one_frees_its_slot(
    inventory, settings, app_with
) -> None:
    app = app_with(settings, board_streams_per_link=2, board_streams_per_subject=2)
    pid, _ = await new_project(inventory, settings, units=1)
    made = await inventory.client.post(
        f"/v1/projects/{pid}/board-links", json={}, headers=auth(settings, "manager", pid)
    )
    link = made.json()["url"].split("link=", 1)[1]
    screens = [await _stream(app, pid, link=link).open() for _ in range(2)]
    refused = await _stream(app, pid, link=link).open()
    await refused.ended()
    assert [s.status for s in screens] == [200, 200] and refused.status == 429
    assert refused.response_headers["retry-after"] == "10"
    assert refused.body()["error"]["code"] == "too_many_streams" and refused.body()["error"]["message"]
    me, colleague = auth(settings, "finance", pid, "f-tabs"), auth(settings, "finance", pid, "f-other")
    tabs = [await _stream(app, pid, me).open() for _ in range(2)]
    third_tab = await _stream(app, pid, me).open()
    assert [t.status for t in tabs] == [200, 200] and third_tab.status == 429  # per person...
    others = await _stream(app, pid, colleague).open()
    assert others.status == 200  # ...not for everyone
    await screens[0].close()  # a screen goes away: its slot is free again
    again = await _stream(app, pid, link=link).open()
    assert again.status == 200
    for stream in (screens[1], again, *tabs, others):
        await stream.close()


async def test_a_screen_that_stops_reading_is_dropped_and_resumes_with_every_change_once(
    inventory, settings, app_with
) -> None:
    app = app_with(settings, board_stream_buffer=20)
    pid, units = await new_project(inventory, settings, units=1)
    seq = (await inventory.client.get(f"/v1/projects/{pid}/board", headers=auth(settings, "manager", pid))).json()
    start = str(seq["seq"])
    stalled = _stream(app, pid, auth(settings, "finance", pid, "f-stalled"), after=start)
    stalled.stall_after = 5  # reads five events, then nothing
    await stalled.open()
    flowing = await _stream(app, pid, auth(settings, "finance", pid, "f-flowing"), after=start).open()
    feed = feed_of(inventory.app.state.runtime)
    sent = 0
    while not stalled.task.done():  # batches smaller than the buffer, each seen by the flowing screen
        assert sent < 200, "the screen that reads nothing was never dropped"
        await unit_changes(inventory, pid, units[0]["id"], 10)
        sent += 10
        await async_wait_for(lambda n=sent: len(flowing.events()) == n, timeout=15, what=f"{sent} events flowed")
    assert sent <= 40  # dropped once 20 changes waited for it (after the 5 it read), not later
    assert len(feed.viewers[uuid.UUID(pid)]) == 1  # the flowing one; the dropped one let its changes go
    assert "sub:f-stalled" not in slots_of(inventory.app.state.runtime).open  # and gave its slot back
    await unit_changes(inventory, pid, units[0]["id"], 10)  # the others keep flowing after the drop
    await async_wait_for(lambda: len(flowing.events()) == sent + 10, timeout=15, what="the flowing screen goes on")
    seen = stalled.events()[-1]["id"]
    resumed = await _stream(app, pid, auth(settings, "finance", pid, "f-stalled") | {"Last-Event-ID": seen}).open()
    expected = [int(e["id"]) for e in flowing.events() if int(e["id"]) > int(seen)]
    await async_wait_for(
        lambda: len(resumed.events()) >= len(expected), timeout=15, what="the resumed screen caught up"
    )
    assert [int(e["id"]) for e in resumed.events()] == expected and len(expected) == sent + 10 - 5
    for stream in (flowing, resumed):
        await stream.close()
