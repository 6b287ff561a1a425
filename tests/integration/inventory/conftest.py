"""One inventory app for the package's tests, running in this process against the real PostgreSQL and broker."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from services.inventory.app import build_spec
from shared.runtime.serving import create_app
from tests.support.apps import running_app


@pytest.fixture(scope="package")
async def inventory(settings):
    async with running_app(build_spec(), settings) as svc:
        yield svc


@pytest.fixture
def app_with(inventory) -> Callable:
    """An inventory app with some settings changed, sharing the running inventory (its pool, feed, fan-out)."""

    def make(settings, **changes):
        app = create_app(build_spec(), settings.model_copy(update=changes))
        app.state.runtime = inventory.app.state.runtime
        return app

    return make
