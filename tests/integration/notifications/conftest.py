"""Fixtures the webhook tests share: a property company's receiver on loopback, started and stopped per test."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.webhooks import Receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = Receiver()
    await r.start()
    yield r
    await r.stop()
