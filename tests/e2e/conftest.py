"""The four services as processes and one walked journey, shared by the end-to-end modules that need them."""

from __future__ import annotations

import pytest

from shared.tools.demo import Demo, Journey, Urls

SERVICES = ("leads", "inventory", "payments", "notifications")


@pytest.fixture(scope="module")
def urls(start_service) -> Urls:
    return Urls(**{name: start_service(name).url for name in SERVICES})


@pytest.fixture(scope="module")
async def journey(urls: Urls, settings) -> Journey:
    return await Demo(urls, settings.jwt_secret, settings.kafka_bootstrap(), say=lambda _: None, timeout=90).run()
