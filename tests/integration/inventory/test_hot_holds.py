"""Issue 13: the hold's hot route answers exactly as the framework's route does, and leaves it what it does not
recognise. Two apps share one running inventory (its pool): one with the hot route (spied), one without."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx
import orjson
import pytest
from prometheus_client import REGISTRY

from services.inventory.api import units
from services.inventory.api.holds import HOLDS_PATH
from services.inventory.app import build_spec
from services.inventory.use_cases import taking
from shared.http.api_errors import ApiError
from shared.http.hot_routes import HotRequest, HotRouteWithoutTwin
from shared.http.refusals import refusal_answer
from shared.kernel.errors import DomainError
from shared.runtime.serving import create_app
from tests.support.apps import running_app
from tests.support.auth import auth
from tests.support.inventory import known_customer, new_project


@pytest.fixture
async def twins(inventory, settings) -> AsyncIterator[SimpleNamespace]:
    """`hot` serves holds through the hot route and counts what it answered itself; `framework` never does."""
    answered: list[int] = []
    spec = build_spec()

    def spied(route):
        async def answer(request: HotRequest):
            try:
                got = await route.answer(request)
            except (DomainError, ApiError) as refused:
                answered.append(refusal_answer(refused)[0])
                raise
            if got is not None:
                answered.append(got[0])
            return got

        return dataclasses.replace(route, answer=answer)

    spec.hot_routes = [spied(r) for r in spec.hot_routes]
    hot = create_app(spec, settings)
    framework = create_app(build_spec(), settings.model_copy(update={"hot_routes": False}))
    for app in (hot, framework):
        app.state.runtime = inventory.app.state.runtime
    async with (
        httpx.AsyncClient(transport=httpx.ASGITransport(hot), base_url="http://inventory") as hot_client,
        httpx.AsyncClient(transport=httpx.ASGITransport(framework), base_url="http://inventory") as framework_client,
    ):
        yield SimpleNamespace(hot=hot_client, framework=framework_client, answered=answered)


AT = datetime(2031, 5, 1, 2, 0, tzinfo=UTC)  # the one clock, pinned where a test compares expiries


def _requests_served(status: int) -> float:
    labels = {"service": "inventory", "method": "POST", "route": HOLDS_PATH, "status": str(status)}
    return REGISTRY.get_sample_value("estate_http_requests_total", labels) or 0.0


async def test_a_hold_from_the_hot_route_is_the_frameworks_hold_r19(inventory, settings, twins, monkeypatch) -> None:
    """Issue 20: the same hold asked through each route (a unit and a customer of one project, the same person, the
    one clock pinned) answers the same values wherever they must be equal, and the same keys of the same types."""
    monkeypatch.setattr(taking, "now_utc", lambda: AT)  # the one clock a hold asks, pinned for both routes
    pid, units = await new_project(inventory, settings, units=4, hold_minutes=45)
    for role, pair in (("consultant", units[:2]), ("sales_control", units[2:])):
        headers = auth(settings, role, pid) | {"X-Correlation-Id": "storm-1"}
        asked, answers = [], []
        for client, unit in zip((twins.hot, twins.framework), pair, strict=True):
            asked.append((unit["id"], await known_customer(inventory, pid)))
            answers.append(
                await client.post(f"/v1/units/{unit['id']}/holds", json={"customer_id": asked[-1][1]}, headers=headers)
            )
        assert [a.status_code for a in answers] == [201, 201]
        for answer, (unit, customer) in zip(answers, asked, strict=True):
            assert answer.headers["content-type"] == "application/json"
            assert answer.headers["x-correlation-id"] == "storm-1"
            assert answer.json() == {  # each value what it must be: the hold as the unit now shows it
                "hold_id": (await _hold_of(inventory, settings, pid, unit))["hold_id"],
                "unit_id": unit,
                "customer_id": customer,
                "consultant_id": f"{role}-1",
                "expires_at": (AT + timedelta(minutes=45)).isoformat(),
            }
        hot, framework = (_as_asked(a.json(), *ids) for a, ids in zip(answers, asked, strict=True))
        assert hot == framework, (hot, framework)
    assert twins.answered == [201, 201]  # the hot route answered its own holds; the framework's answered the others
    async with inventory.pool.acquire() as conn:
        events = await conn.fetch(
            "SELECT key, convert_from(payload, 'UTF8')::jsonb->>'correlation_id' AS cid FROM outbox"
            " WHERE topic = 'estate.inventory.unit-locked.v1' AND key = ANY($1::text[])",
            [u["id"] for u in units],
        )
    assert sorted(e["key"] for e in events) == sorted(u["id"] for u in units)
    assert {e["cid"] for e in events} == {"storm-1"}


async def _hold_of(inventory, settings, pid: str, unit: str) -> dict:
    """The unit's hold as `GET /v1/units/{id}` shows it (from the database, not from either route's answer)."""
    shown = (await inventory.client.get(f"/v1/units/{unit}", headers=auth(settings, "manager", pid))).json()
    assert shown["status"] == "held" and shown["hold"]["created_at"] == AT.isoformat(), shown
    return shown["hold"]


def _as_asked(answer: dict, unit: str, customer: str) -> dict:
    """A 201's values with what differs between two holds by design (their ids) put as what it must be; the
    type of every value kept."""
    uuid.UUID(answer["hold_id"])  # an id of its own
    return {
        **{key: type(value).__name__ for key, value in answer.items()},
        **{key: value for key, value in answer.items() if key in ("consultant_id", "expires_at")},
        "unit_id": "the unit asked" if answer["unit_id"] == unit else answer["unit_id"],
        "customer_id": "the customer asked" if answer["customer_id"] == customer else answer["customer_id"],
    }


async def test_every_refusal_reads_the_same_from_both_routes(inventory, settings, twins) -> None:
    pid, units = await new_project(inventory, settings, units=2)
    other_pid, _ = await new_project(inventory, settings, units=1)
    mine, colleagues = await known_customer(inventory, pid), await known_customer(inventory, pid, "consultant-2")
    visitor = await known_customer(inventory, pid)
    async with inventory.pool.acquire() as conn:
        await conn.execute("UPDATE customers SET key_visitor = true WHERE customer_id = $1", uuid.UUID(visitor))
    held = (
        await twins.framework.post(
            f"/v1/units/{units[1]['id']}/holds", json={"customer_id": mine}, headers=auth(settings, "consultant", pid)
        )
    ).status_code
    assert held == 201
    free, taken, me = units[0]["id"], units[1]["id"], auth(settings, "consultant", pid)
    cases = {
        "taken": (taken, {"customer_id": mine}, me, 409),
        "no such unit": (str(uuid.uuid4()), {"customer_id": mine}, me, 404),
        "unknown customer": (free, {"customer_id": str(uuid.uuid4())}, me, 422),
        "customer not an id": (free, {"customer_id": "someone"}, me, 422),
        "a colleague's customer (R8)": (free, {"customer_id": colleagues}, me, 404),
        "a key visitor (R5)": (free, {"customer_id": visitor}, me, 409),
        "another project's token": (free, {"customer_id": mine}, auth(settings, "consultant", other_pid), 403),
        "a role that may not hold": (free, {"customer_id": mine}, auth(settings, "finance", pid), 403),
        "no token": (free, {"customer_id": mine}, {}, 401),
        "no customer": (free, {"customer": mine}, me, 422),
        "not an object": (free, ["x"], me, 422),
    }
    for name, (unit, body, headers, status) in cases.items():
        hot = await twins.hot.post(f"/v1/units/{unit}/holds", json=body, headers=headers)
        framework = await twins.framework.post(f"/v1/units/{unit}/holds", json=body, headers=headers)
        assert (hot.status_code, hot.json()) == (framework.status_code, framework.json()), name
        assert hot.status_code == status, (name, hot.text)
    # the hot route itself answered every refusal of a request it could read; the rest went to the framework's route
    assert twins.answered == [409, 404, 422, 422, 404, 409, 403, 403], twins.answered
    assert (await inventory.client.get(f"/v1/units/{free}", headers=me)).json()["status"] == "available"


async def test_a_hot_answer_is_counted_once_under_the_route(inventory, settings, twins) -> None:
    pid, units = await new_project(inventory, settings, units=1)
    customer = await known_customer(inventory, pid)
    before = _requests_served(201), _requests_served(409)
    for _ in range(2):
        await twins.hot.post(
            f"/v1/units/{units[0]['id']}/holds",
            json={"customer_id": customer},
            headers=auth(settings, "consultant", pid),
        )
    assert twins.answered == [201, 409]
    assert (_requests_served(201) - before[0], _requests_served(409) - before[1]) == (1.0, 1.0)


async def test_an_idempotency_key_or_an_odd_body_goes_through_the_framework(inventory, settings, twins) -> None:
    pid, units = await new_project(inventory, settings, units=1)
    customer = await known_customer(inventory, pid)
    url, me = f"/v1/units/{units[0]['id']}/holds", auth(settings, "consultant", pid)
    first = await twins.hot.post(url, json={"customer_id": customer}, headers=me | {"Idempotency-Key": "k-1"})
    again = await twins.hot.post(url, json={"customer_id": customer}, headers=me | {"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201 and again.headers["idempotent-replay"] == "true"
    assert first.json() == again.json()
    text = await twins.hot.post(url, content=b'{"customer_id": "x"}', headers=me | {"Content-Type": "text/plain"})
    nul = await twins.hot.post(url, content=b'{"customer_id": "\\u0000"}', headers=me)
    assert (text.status_code, nul.status_code, nul.json()["error"]["code"]) == (422, 422, "invalid_text")
    assert twins.answered == []


async def test_a_body_without_a_json_content_type_reads_the_same_from_both_routes(inventory, settings, twins) -> None:
    """Issue 19: only `application/json` is the hot route's; no Content-Type at all, or another media type, is the
    framework's to read (422 where it refuses, its own answer where it accepts), so both routes answer alike."""
    pid, units = await new_project(inventory, settings, units=2)
    me = auth(settings, "consultant", pid)
    for content_type, status in ((None, 422), ("text/plain", 422), ("application/merge-patch+json", 201)):
        answers = []
        for client, unit in ((twins.hot, units[0]), (twins.framework, units[1])):
            body = orjson.dumps({"customer_id": await known_customer(inventory, pid)})
            headers = me if content_type is None else me | {"Content-Type": content_type}
            answer = await client.post(f"/v1/units/{unit['id']}/holds", content=body, headers=headers)
            assert ("content-type" in answer.request.headers) == (content_type is not None)
            answers.append((answer.status_code, _shape(answer.json())))
            if answer.status_code == 201:  # the unit is free again for the next case
                await client.delete(f"/v1/units/{unit['id']}/holds/{answer.json()['hold_id']}", headers=me)
        assert answers[0] == answers[1] == (status, answers[0][1]), (content_type, answers)
    assert twins.answered == []  # the hot route answered none of them itself


def _shape(body: dict) -> object:
    """What must match between the routes: the error's code, or a hold's fields (its ids differ)."""
    return body["error"]["code"] if "error" in body else sorted(body)


@pytest.mark.parametrize(
    "twinless",
    [
        pytest.param({"template": "/v1/units/{unit_id}/hold"}, id="a path the framework does not serve"),
        pytest.param({"method": "PUT"}, id="a method the framework does not serve there"),
        pytest.param({"routers": [units.router]}, id="the framework's routes without the hold"),
    ],
)
async def test_a_hot_route_without_its_framework_twin_stops_the_service_starting(settings, twinless) -> None:
    """Issue 20: each hot route is the twin of a framework route (what it hands back must land there): a spec
    whose hot route has none refuses to start, naming the route."""
    spec = build_spec()
    if "routers" in twinless:
        spec.routers = twinless["routers"]
    else:
        spec.hot_routes = [dataclasses.replace(spec.hot_routes[0], **twinless)]
    route = spec.hot_routes[0]
    with pytest.raises(HotRouteWithoutTwin, match=re.escape(f"hot route {route.method} {route.template} has no")):
        async with running_app(spec, settings):
            pass
