"""One inventory app for the package's tests, running in this process against the real PostgreSQL and broker."""

from __future__ import annotations

import pytest

from services.inventory.app import build_spec
from tests.support.apps import running_app


@pytest.fixture(scope="package")
async def inventory(settings):
    async with running_app(build_spec(), settings) as svc:
        yield svc
