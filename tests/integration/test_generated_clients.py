"""Issue 20: a typed Python client generated from each service's OpenAPI document (openapi-python-client, run
offline) has a module for every operation, named by its tag and id, and its calls work against the running service:
the app in this process on the real PostgreSQL and broker, reached through httpx's ASGI transport."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from shared.runtime.serving import load_spec
from shared.runtime.settings import Settings
from tests.support.apps import running_app
from tests.support.clients import Sdk, generate_client, run_offline

pytestmark = pytest.mark.timeout(300)


def test_the_generator_is_kept_offline() -> None:
    """The guard the generator runs under refuses a connection, even one to this machine."""
    tried = run_offline("import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)", timeout=30)
    assert tried.returncode != 0 and "offline guard: socket." in tried.stderr, tried.stderr


async def _inventory(sdk: Sdk) -> None:
    """An admin creates a project; its sales control lists its units (none yet) and asks for a unit it lacks."""
    body = sdk.models.NewProject(code=f"SDK{uuid.uuid4().hex[:6]}", name="SDK tower")
    project = await sdk.op("POST /v1/projects").asyncio(client=sdk.client("admin"), body=body)
    assert isinstance(project, sdk.models.ProjectOut) and project.name == "SDK tower", project
    staff = sdk.client("sales_control", project.id)
    assert await sdk.op("GET /v1/projects/{project_id}/units").asyncio(project.id, client=staff) == []
    missing = await sdk.op("GET /v1/units/{unit_id}").asyncio(str(uuid.uuid4()), client=staff)
    assert isinstance(missing, sdk.models.ErrorBody) and missing.error.code == "not_found", missing


async def _leads(sdk: Sdk) -> None:
    """A consultant registers a walk-in, then looks the phone up: the customer is theirs."""
    project, phone = str(uuid.uuid4()), f"139{uuid.uuid4().int % 10**8:08d}"
    consultant = sdk.client("consultant", project)
    body = sdk.models.NewCustomer(project_id=project, name="SDK Buyer", phone=phone, source="walk_in")
    registered = await sdk.op("POST /v1/customers").asyncio(client=consultant, body=body)
    assert isinstance(registered, sdk.models.Registered) and registered.owner_id == "consultant-sdk", registered
    found = await sdk.op("GET /v1/customers/lookup").asyncio(client=consultant, project_id=project, phone=phone)
    assert isinstance(found, sdk.models.Lookup) and found.exists and found.owner_id == "consultant-sdk", found


async def _payments(sdk: Sdk) -> None:
    """Finance lists a new project's deposits (none) and asks for the ledger of a sale payments never heard of."""
    project = str(uuid.uuid4())
    finance = sdk.client("finance", project)
    assert await sdk.op("GET /v1/projects/{project_id}/deposits").asyncio(project, client=finance) == []
    ledger = await sdk.op("GET /v1/sales/{sale_id}/ledger").asyncio(str(uuid.uuid4()), client=finance)
    assert isinstance(ledger, sdk.models.ErrorBody) and ledger.error.code == "not_found", ledger


async def _notifications(sdk: Sdk) -> None:
    """A consultant's reminders and messages: none yet, each a typed list."""
    consultant = sdk.client("consultant", str(uuid.uuid4()))
    assert await sdk.op("GET /v1/reminders").asyncio(client=consultant) == []
    assert await sdk.op("GET /v1/notifications").asyncio(client=consultant) == []


CALLS: dict[str, Callable[[Sdk], Awaitable[None]]] = {
    "leads": _leads,
    "inventory": _inventory,
    "payments": _payments,
    "notifications": _notifications,
}


@pytest.mark.parametrize("service", list(CALLS))
async def test_a_generated_client_calls_the_service(service: str, settings: Settings, tmp_path: Path) -> None:
    async with running_app(load_spec(service), settings) as svc:
        document = (await svc.client.get("/openapi.json")).json()
        package, _ = await asyncio.to_thread(generate_client, document, f"estate_{service}_sdk", tmp_path)
        sdk = Sdk(package, document, svc.app, settings.jwt_secret)
        assert sdk.missing_operations() == []
        await CALLS[service](sdk)
