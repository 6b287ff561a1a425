"""One payments app per test module, running in this process against the real PostgreSQL and broker."""

from __future__ import annotations

import pytest

from services.payments.app import build_spec
from tests.support.apps import running_app


@pytest.fixture(scope="module")
async def payments(settings):
    async with running_app(build_spec(), settings) as svc:
        yield svc
