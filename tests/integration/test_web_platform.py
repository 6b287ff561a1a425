"""The shared HTTP plumbing on real PostgreSQL: Idempotency-Key, metrics by route, correlation ids, health."""

from __future__ import annotations

import asyncio
import uuid

import httpx
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from shared.http.auth import Principal, current_principal
from shared.http.tokens import make_token
from shared.runtime.settings import Settings
from tests.support.polling import async_wait_for
from tests.support.web import things_app

router = APIRouter()


class NewThing(BaseModel):
    name: str


@router.post("/v1/things", status_code=201)
async def create_thing(body: NewThing, request: Request, who: Principal = Depends(current_principal)) -> dict:
    thing_id = uuid.uuid4()
    await request.app.state.runtime.pool.execute("INSERT INTO things (id, name) VALUES ($1, $2)", thing_id, body.name)
    return {"id": str(thing_id), "name": body.name}


async def _client(settings: Settings):
    app = await things_app(settings, "web", router)
    return app, httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://svc")


async def test_idempotency_key_returns_the_first_answer_and_changes_nothing(settings: Settings) -> None:
    app, client = await _client(settings)
    auth = {"Authorization": f"Bearer {make_token(settings.jwt_secret, 'u1', 'manager', ['p1'])}"}
    async with app.router.lifespan_context(app), client:
        key = {"Idempotency-Key": str(uuid.uuid4())}
        first = await client.post("/v1/things", json={"name": "a"}, headers=auth | key)
        again = await client.post("/v1/things", json={"name": "a"}, headers=auth | key)
        other = await client.post("/v1/things", json={"name": "a"}, headers=auth | {"Idempotency-Key": "other"})
        count = await app.state.runtime.pool.fetchval("SELECT count(*) FROM things")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert other.json()["id"] != first.json()["id"]
    assert count == 2


async def test_concurrent_retries_with_one_key_create_one_thing(settings: Settings) -> None:
    app, client = await _client(settings)
    auth = {
        "Authorization": f"Bearer {make_token(settings.jwt_secret, 'u1', 'manager', ['p1'])}",
        "Idempotency-Key": "same",
    }
    async with app.router.lifespan_context(app), client:
        answers = await asyncio.gather(
            *(client.post("/v1/things", json={"name": "x"}, headers=auth) for _ in range(10))
        )
        count = await app.state.runtime.pool.fetchval("SELECT count(*) FROM things")
    assert count == 1
    assert {a.status_code for a in answers} <= {201, 409}


async def test_metrics_by_route_correlation_id_and_health(settings: Settings) -> None:
    app, client = await _client(settings)
    async with app.router.lifespan_context(app), client:
        await async_wait_for(lambda: _healthy(client), timeout=15, what="producer connected")
        health = await client.get("/health", headers={"X-Correlation-ID": "abc-123"})
        await client.post("/v1/things", json={"name": "no token"})
        await client.post("/v1/things", content=b"{broken", headers={"content-type": "application/json"})
        metrics = (await client.get("/metrics")).text
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    assert health.headers["x-correlation-id"] == "abc-123"
    assert 'route="/v1/things",service="web_' in metrics.replace('method="POST",', "")
    assert 'status="401"' in metrics
    assert "estate_outbox_backlog" in metrics


async def _healthy(client: httpx.AsyncClient) -> bool:
    return (await client.get("/health")).status_code == 200
