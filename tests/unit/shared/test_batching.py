"""shared.batching (issue 13): asks gather while the lanes are busy, each caller gets its own answer in order, a
lone ask waits for nothing, and a failed statement reaches every caller of its batch."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from shared.db.batching import Batcher


class FakePool:
    """A pool whose connections are nothing: the batches are what the test looks at."""

    def acquire(self):
        return contextlib.nullcontext(object())


def _batcher(batches: list[list[int]], gate: asyncio.Event | None = None, fail_on: int | None = None, lanes: int = 1):
    async def run(_conn, asks):
        batches.append(list(asks))
        if gate is not None:
            await gate.wait()
        if fail_on in asks:
            raise RuntimeError("the statement failed")
        return [a * 10 for a in asks]

    return Batcher(lambda: FakePool(), run, lanes=lanes)  # type: ignore[arg-type, return-value]


async def _busy(**options):
    """A batcher whose lane has sent [1] and waits on the gate: (batcher, its batches, the gate, the first ask)."""
    batches: list[list[int]] = []
    gate = asyncio.Event()
    batcher = _batcher(batches, gate, **options)
    first = asyncio.ensure_future(batcher.ask(1))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    return batcher, batches, gate, first


async def test_a_lone_ask_is_sent_at_once_and_answered() -> None:
    batches: list[list[int]] = []
    assert await _batcher(batches).ask(7) == 70
    assert batches == [[7]]


async def test_asks_made_while_the_lane_is_busy_leave_together_in_order() -> None:
    batcher, batches, gate, first = await _busy()
    rest = [asyncio.ensure_future(batcher.ask(n)) for n in (2, 3, 4)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.wait_for(asyncio.gather(first, *rest), 5) == [10, 20, 30, 40]
    assert batches == [[1], [2, 3, 4]]


async def test_two_lanes_send_two_statements_at_once() -> None:
    batches: list[list[int]] = []
    gate = asyncio.Event()
    batcher = _batcher(batches, gate, lanes=2)
    asks = [asyncio.ensure_future(batcher.ask(n)) for n in range(1, 6)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert batches == [[1, 2, 3, 4, 5]]  # one loop turn's asks: one statement, the other lane idle
    gate.set()
    assert await asyncio.wait_for(asyncio.gather(*asks), 5) == [10, 20, 30, 40, 50]


async def test_a_failed_statement_reaches_each_of_its_callers_and_no_other() -> None:
    batcher, batches, gate, first = await _busy(fail_on=3)
    doomed = [asyncio.ensure_future(batcher.ask(n)) for n in (2, 3)]
    await asyncio.sleep(0)
    gate.set()
    assert await asyncio.wait_for(first, 5) == 10
    for ask in doomed:
        with pytest.raises(RuntimeError, match="the statement failed"):
            await asyncio.wait_for(ask, 5)
    assert await asyncio.wait_for(batcher.ask(9), 5) == 90  # the batcher carries on


async def test_a_caller_that_gave_up_does_not_stop_the_others() -> None:
    batcher, batches, gate, first = await _busy()
    leaving, staying = asyncio.ensure_future(batcher.ask(2)), asyncio.ensure_future(batcher.ask(3))
    await asyncio.sleep(0)
    leaving.cancel()
    gate.set()
    assert await asyncio.wait_for(asyncio.gather(first, staying), 5) == [10, 30]


async def test_a_lane_stopped_mid_statement_stops_its_callers_instead_of_leaving_them_waiting() -> None:
    batches: list[list[int]] = []
    gate = asyncio.Event()
    batcher = _batcher(batches, gate)
    asks = [asyncio.ensure_future(batcher.ask(n)) for n in (1, 2)]
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    for lane in list(batcher._lanes):
        lane.cancel()
    done = await asyncio.wait_for(asyncio.gather(*asks, return_exceptions=True), 5)
    assert all(isinstance(d, asyncio.CancelledError) for d in done)
