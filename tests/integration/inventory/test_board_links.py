"""Issue 19: a board link names the service's public address — the configured `ESTATE_PUBLIC_URL`, else the
service's own configured host and port — and never the Host header of the request that asked for it."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import httpx
import pytest

from services.inventory.app import build_spec
from shared.runtime.serving import create_app
from tests.support.auth import auth
from tests.support.inventory import new_project

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def served_with(inventory) -> Callable:
    """A client of an inventory app with some settings changed, sharing the running inventory (its pool)."""

    @asynccontextmanager
    async def client(settings, **changes) -> AsyncIterator[httpx.AsyncClient]:
        app = create_app(build_spec(), settings.model_copy(update=changes))
        app.state.runtime = inventory.app.state.runtime
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://inventory") as http:
            yield http

    return client


async def _link(http: httpx.AsyncClient, settings, pid: str) -> str:
    headers = auth(settings, "manager", pid) | {"Host": "evil.example", "X-Forwarded-Host": "evil.example"}
    made = await http.post(f"/v1/projects/{pid}/board-links", json={"hours": 1}, headers=headers)
    assert made.status_code == 201, made.text
    return made.json()["url"]


async def test_a_link_names_the_configured_public_url_not_the_host_header(inventory, settings, served_with) -> None:
    pid, _ = await new_project(inventory, settings, units=1)
    async with served_with(settings, public_url="https://board.sales-office.example/inventory/") as http:
        url = await _link(http, settings, pid)
    assert url.startswith("https://board.sales-office.example/inventory/board?link=") and "evil" not in url
    page = await inventory.client.get("/board", params={"link": url.split("link=", 1)[1]})
    assert page.status_code == 200  # the link itself is the one the page accepts


async def test_without_a_public_url_a_link_names_the_services_own_address(inventory, settings, served_with) -> None:
    pid, _ = await new_project(inventory, settings, units=1)
    url = await _link(inventory.client, settings, pid)
    assert urlsplit(url)[:3] == ("http", f"{settings.host}:{settings.service_port('inventory')}", "/board")
    async with served_with(settings, host="0.0.0.0", port=18002) as http:  # bound to every address: the machine's name
        assert urlsplit(await _link(http, settings, pid)).netloc == f"{socket.gethostname()}:18002"
    async with served_with(settings, host="::1", port=18002) as http:
        assert urlsplit(await _link(http, settings, pid)).netloc == "[::1]:18002"
