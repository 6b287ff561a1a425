"""Issue 8's plumbing fixes on real PostgreSQL: idempotency scoped to the person, released on failure, body
checked; NUL and oversized bodies refused in one place; a crash logged as an error, its connection kept."""

from __future__ import annotations

import asyncio
import logging
import uuid

import httpx
import pytest
import uvicorn
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from shared.http.auth import Principal, current_principal
from shared.http.tokens import make_token
from shared.runtime.settings import Settings
from shared.tools.embedded import free_port
from tests.support.polling import async_wait_for
from tests.support.web import things_app

router = APIRouter()
CRASHES: dict[str, int] = {}


class NewThing(BaseModel):
    name: str


@router.post("/v1/things", status_code=201)
async def create_thing(body: NewThing, request: Request, who: Principal = Depends(current_principal)) -> dict:
    if body.name.startswith("crash") and CRASHES.setdefault(body.name, 0) < 1:
        CRASHES[body.name] += 1
        raise RuntimeError("the handler broke")
    thing_id = uuid.uuid4()
    await request.app.state.runtime.pool.execute("INSERT INTO things (id, name) VALUES ($1, $2)", thing_id, body.name)
    return {"id": str(thing_id), "name": body.name}


@router.get("/v1/things")
async def list_things(q: str = "", who: Principal = Depends(current_principal)) -> list:
    return []


async def _app(settings: Settings):
    return await things_app(settings.model_copy(update={"max_body_bytes": 4096}), "guard", router)


def _auth(settings: Settings, sub: str = "u1", hours: float = 1, scheme: str = "Bearer") -> dict[str, str]:
    return {"Authorization": f"{scheme} {make_token(settings.jwt_secret, sub, 'manager', ['p1'], hours=hours)}"}


async def _things(app) -> int:
    return await app.state.runtime.pool.fetchval("SELECT count(*) FROM things")


@pytest.fixture
async def svc(settings: Settings):
    app = await _app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://svc") as client:
            yield app, client


async def test_a_refreshed_token_or_lower_case_bearer_replays_instead_of_creating_twice(svc, settings) -> None:
    app, client = svc
    key = {"Idempotency-Key": "k-refresh"}
    first = await client.post("/v1/things", json={"name": "a"}, headers=_auth(settings) | key)
    refreshed = await client.post("/v1/things", json={"name": "a"}, headers=_auth(settings, hours=2) | key)
    lower = await client.post("/v1/things", json={"name": "a"}, headers=_auth(settings, scheme="bearer") | key)
    assert first.status_code == refreshed.status_code == lower.status_code == 201
    assert first.json() == refreshed.json() == lower.json()
    assert await _things(app) == 1
    other_person = await client.post("/v1/things", json={"name": "a"}, headers=_auth(settings, sub="u2") | key)
    assert other_person.status_code == 201 and await _things(app) == 2  # keys belong to a person


async def test_a_request_that_crashed_releases_its_key_so_the_retry_runs(svc, settings) -> None:
    app, client = svc
    headers = _auth(settings) | {"Idempotency-Key": "k-crash"}
    crashed = await client.post("/v1/things", json={"name": "crash-1"}, headers=headers)
    retried = await client.post("/v1/things", json={"name": "crash-1"}, headers=headers)
    assert crashed.status_code == 500 and crashed.json()["error"]["code"] == "internal_error"
    assert retried.status_code == 201 and await _things(app) == 1


async def test_a_body_cut_off_is_not_remembered_and_the_retry_runs(svc, settings) -> None:
    app, client = svc
    headers = _auth(settings) | {"Idempotency-Key": "k-cut", "content-type": "application/json"}
    cut = await client.post("/v1/things", content=b'{"name": "cu', headers=headers)
    whole = await client.post("/v1/things", content=b'{"name": "cut"}', headers=headers)
    assert cut.status_code == 422 and whole.status_code == 201 and await _things(app) == 1


async def test_the_same_key_with_another_body_is_refused(svc, settings) -> None:
    app, client = svc
    headers = _auth(settings) | {"Idempotency-Key": "k-body"}
    await client.post("/v1/things", json={"name": "one"}, headers=headers)
    other = await client.post("/v1/things", json={"name": "two"}, headers=headers)
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert await _things(app) == 1


async def test_keys_are_bounded_and_expire(svc, settings) -> None:
    app, client = svc
    long_key = await client.post(
        "/v1/things", json={"name": "x"}, headers=_auth(settings) | {"Idempotency-Key": "k" * 2700}
    )
    assert long_key.status_code == 422 and long_key.json()["error"]["code"] == "invalid_idempotency_key"
    headers = _auth(settings) | {"Idempotency-Key": "k-old"}
    await client.post("/v1/things", json={"name": "old"}, headers=headers)
    await app.state.runtime.pool.execute("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
    again = await client.post("/v1/things", json={"name": "old"}, headers=headers)
    assert again.status_code == 201 and "idempotent-replay" not in again.headers and await _things(app) == 2


@pytest.mark.parametrize(
    "request_args",
    [
        dict(method="POST", url="/v1/things", json={"name": "a\u0000b"}),
        dict(method="POST", url="/v1/things", content=b'{"name": "a\x00b"}'),
        dict(method="GET", url="/v1/things?q=a%00b"),
        dict(method="GET", url="/v1/things%00"),
    ],
    ids=["json-escape", "raw-byte", "query", "path"],
)
async def test_nul_anywhere_is_a_422_in_one_place(svc, settings, request_args) -> None:
    app, client = svc
    answer = await client.request(**request_args, headers=_auth(settings) | {"content-type": "application/json"})
    assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_text"
    assert await _things(app) == 0


async def test_an_escaped_backslash_before_u0000_is_ordinary_text(svc, settings) -> None:
    app, client = svc
    answer = await client.post("/v1/things", json={"name": "C:\\u0000"}, headers=_auth(settings))
    assert answer.status_code == 201 and answer.json()["name"] == "C:\\u0000"


async def test_a_body_over_the_limit_is_413(svc, settings) -> None:
    app, client = svc
    answer = await client.post("/v1/things", json={"name": "x" * 5000}, headers=_auth(settings))
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "body_too_large"


async def _raw_exchange(port: int, requests: list[bytes]) -> list[bytes]:
    """Send requests one after another on ONE connection; the status line of each answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = []
    try:
        for raw in requests:
            writer.write(raw)
            await writer.drain()
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            length = int([h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length")][0].split(b":")[1])
            await asyncio.wait_for(reader.readexactly(length), 5)
            lines.append(head.split(b"\r\n")[0])
    finally:
        writer.close()
    return lines


async def test_a_crash_is_logged_as_an_error_and_keeps_the_connection(settings, caplog) -> None:
    app = await _app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on"))
    task = asyncio.create_task(server.serve())
    try:
        await async_wait_for(lambda: _started(server), timeout=15, what="uvicorn started")
        token = _auth(settings)["Authorization"]

        def post(name: str) -> bytes:
            body = f'{{"name": "{name}"}}'.encode()
            return (
                f"POST /v1/things HTTP/1.1\r\nHost: x\r\nAuthorization: {token}\r\nX-Correlation-ID: cid-{name}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
            ).encode() + body

        with caplog.at_level(logging.INFO, logger="estate"):
            statuses = await _raw_exchange(port, [post("crash-conn"), post("after")])
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
    assert statuses == [b"HTTP/1.1 500 Internal Server Error", b"HTTP/1.1 201 Created"]
    crash = [r for r in caplog.records if r.getMessage() == "unhandled_error"]
    assert crash and crash[0].levelno == logging.ERROR


async def _started(server: uvicorn.Server) -> bool:
    return server.started
