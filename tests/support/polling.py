"""Polling with a deadline: tests wait for a condition, never sleep and hope."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any


class ConditionNotMet(AssertionError):
    """The condition stayed false until the deadline."""


def wait_for(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05, what: str = "") -> Any:
    """Call `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise ConditionNotMet(f"not met within {timeout}s: {what or predicate}")
        time.sleep(interval)


async def async_wait_for(
    predicate: Callable[[], Any | Awaitable[Any]], timeout: float = 30.0, interval: float = 0.05, what: str = ""
) -> Any:
    """Await `predicate` (sync or async) until truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise ConditionNotMet(f"not met within {timeout}s: {what or predicate}")
        await asyncio.sleep(interval)
