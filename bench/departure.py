"""A consultant with a book of 5,000 customers leaves a project (issue 21): how long the departure takes.

leads runs as `estate serve` does. The book is seeded through the real routes — `POST /v1/customers` for each
customer, call-backs for some of them —, four colleagues register a customer each (so they are the recently active
heirs), the seeding's events are published; then one `POST …/staff/{id}/departure` without a named colleague deals
the book out to the four, and the relay publishes the 5,000 `ownership-changed` (and the moved call-backs). For
comparison, the same kind of move one customer per request (`POST /v1/customers/{id}/assign`) on a smaller book."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from bench.infra import database, service_process, stop
from bench.loadgen import Connection, pool
from shared.db.databases import service_dsn
from shared.http.tokens import make_token
from shared.runtime.settings import Settings
from shared.tools.demo.driver import daytime

BOOK, CALLBACKS, HEIRS, ONE_BY_ONE = 5_000, 500, 4, 200  # customers, call-backs among them, colleagues, assigns
IN_FLIGHT = 16  # seeding requests at once


async def run(settings: Settings, logs: Path) -> dict[str, Any]:
    proc, url = service_process(settings, "leads", 1, logs / "leads-departure.log")
    try:
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            return await _measure(settings, url, client)
    finally:
        stop(proc)


async def _measure(settings: Settings, url: str, client: httpx.AsyncClient) -> dict[str, Any]:
    pid, secret = str(uuid.uuid4()), settings.jwt_secret
    started = time.perf_counter()
    await _seed(url, secret, pid, "leaver", BOOK)
    for heir in range(HEIRS):
        await _seed(url, secret, pid, f"heir-{heir}", 1)
    await _callbacks(url, secret, pid, (await _book(settings, pid))[:CALLBACKS])
    seed_s = time.perf_counter() - started
    await _published(settings)
    manager = _headers(secret, "manager", pid, "manager-1")
    first, departure_ms = await _depart(client, manager, pid)
    published_ms = departure_ms + await _published(settings)
    again, second_ms = await _depart(client, manager, pid)
    return {
        "customers": BOOK,
        "callbacks": CALLBACKS,
        "heirs": HEIRS,
        "seed_s": round(seed_s, 1),
        "departure_ms": round(departure_ms, 1),
        "published_ms": round(published_ms, 1),
        "moved": first["moved"],
        "to": first["to"],
        "second_call_ms": round(second_ms, 1),
        "second_call_moved": again["moved"],
        "one_by_one": await _one_by_one(client, url, settings),
    }


def _headers(secret: str, role: str, pid: str, sub: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(secret, sub, role, [pid])}"}


async def _all(url: str, requests: list[tuple[str, dict[str, Any], dict[str, str]]]) -> None:
    """POST each (path, body, headers), `IN_FLIGHT` at a time, on the bench's lean keep-alive client (httpx would
    spend more CPU than the service on this machine); any answer but a 2xx stops the run."""
    queue = iter(requests)

    async def worker(conn: Connection) -> None:
        for path, body, headers in queue:
            result = await conn.request("POST", path, orjson.dumps(body), headers)
            if result.status >= 300:
                raise RuntimeError(f"POST {path}: {result.status}")

    await asyncio.gather(*(worker(conn) for conn in pool(url, IN_FLIGHT)))


async def _seed(url: str, secret: str, pid: str, consultant: str, n: int) -> None:
    """`n` customers registered by `consultant` through `POST /v1/customers`."""
    headers = _headers(secret, "consultant", pid, consultant)
    bodies = [{"project_id": pid, "name": f"Bench {i}", "phone": _phone(), "source": "walk_in"} for i in range(n)]
    await _all(url, [("/v1/customers", body, headers) for body in bodies])


def _phone() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


async def _book(settings: Settings, pid: str) -> list[str]:
    """The leaver's customers, in registration order (the answers above were not kept)."""
    async with database(settings, "leads") as conn:
        sql = "SELECT id FROM customers WHERE project_id = $1 AND owner_id = 'leaver' ORDER BY registered_at, id"
        return [str(row["id"]) for row in await conn.fetch(sql, uuid.UUID(pid))]


async def _callbacks(url: str, secret: str, pid: str, customers: list[str]) -> None:
    plan, headers = (
        {"due_at": daytime(3), "purpose": "send the floor plans"},
        _headers(secret, "consultant", pid, "leaver"),
    )
    await _all(url, [(f"/v1/customers/{cid}/callbacks", plan, headers) for cid in customers])


async def _depart(client: httpx.AsyncClient, headers: dict[str, str], pid: str) -> tuple[dict, float]:
    started = time.perf_counter()
    answer = await client.post(f"/v1/projects/{pid}/staff/leaver/departure", json={"reason": "离职"}, headers=headers)
    answer.raise_for_status()
    return answer.json(), (time.perf_counter() - started) * 1000


async def _published(settings: Settings, timeout: float = 300) -> float:
    """Wait until the relay has published everything in leads' outbox; the ms it took."""
    started, conn = time.perf_counter(), await asyncpg.connect(service_dsn(settings, "leads"))
    try:
        while await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
            if time.perf_counter() - started > timeout:
                raise TimeoutError("leads' outbox was not published in time")
            await asyncio.sleep(0.02)
    finally:
        await conn.close()
    return (time.perf_counter() - started) * 1000


async def _one_by_one(client: httpx.AsyncClient, url: str, settings: Settings) -> dict[str, Any]:
    """The same move through the manager's assignment, one request per customer, in sequence."""
    pid, secret = str(uuid.uuid4()), settings.jwt_secret
    await _seed(url, secret, pid, "leaver", ONE_BY_ONE)
    book = await _book(settings, pid)
    await _published(settings)
    manager = _headers(secret, "manager", pid, "manager-1")
    started = time.perf_counter()
    for cid in book:
        body = {"consultant_id": "heir-0", "reason": "离职"}
        (await client.post(f"/v1/customers/{cid}/assign", json=body, headers=manager)).raise_for_status()
    elapsed = (time.perf_counter() - started) * 1000
    return {"customers": ONE_BY_ONE, "ms": round(elapsed, 1), "ms_per_customer": round(elapsed / ONE_BY_ONE, 2)}
