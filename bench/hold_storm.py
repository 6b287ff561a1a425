"""Opening-day hold storm (开盘): 5,000 buyers reach for 1,000 units, Zipf-skewed, against the real service.

Reports attempts/s, holds/s, latency percentiles for 201 and 409 apart, 5xx count, the invariant
checks, and the ceiling: pgbench running the hold path's own SQL transaction on the same server.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import re
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson

from bench.infra import database, pgbench_path, service_process, stop
from bench.loadgen import Connection, Result, percentile, pool
from shared.db.databases import service_dsn
from shared.http.tokens import make_token
from shared.runtime.settings import Settings

UNITS, BUYERS, CONSULTANTS, ATTEMPTS_PER_BUYER, ZIPF_S = 1000, 5000, 50, 3, 1.1


async def new_project(url: str, secret: str) -> tuple[str, list[str]]:
    admin = {"Authorization": f"Bearer {make_token(secret, 'admin', 'admin', [])}"}
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        project = (
            await http.post(
                "/v1/projects",
                json={"code": f"OPEN-{uuid.uuid4().hex[:6]}", "name": "开盘", "city": "Hangzhou"},
                headers=admin,
            )
        ).json()
        pid = project["id"]
        rows = [
            {
                "building": f"B{1 + i // 100}",
                "number": f"{i % 100 + 101}",
                "floor": 1 + (i % 100) // 4,
                "layout": "3BR",
                "area_m2": "95.00",
                "list_price": "3000000.00",
                "floor_price": "2800000.00",
            }
            for i in range(UNITS)
        ]
        assert (await http.post(f"/v1/projects/{pid}/units", json=rows, headers=admin)).status_code == 201
        units = await _every_unit(http, pid, admin)
    assert len(units) == UNITS, f"the project lists {len(units)} units, not {UNITS}"
    return pid, units


async def _every_unit(http: httpx.AsyncClient, pid: str, headers: dict[str, str]) -> list[str]:
    """Every page of the unit list (contract "Lists": at most 500 a page, the next in the Link header)."""
    units, url = [], f"/v1/projects/{pid}/units?limit=500"
    while url:
        answer = await http.get(url, headers=headers)
        units += [u["id"] for u in answer.json()]
        url = answer.links.get("next", {}).get("url", "")
    return units


async def seed_customers(settings: Settings, pid: str) -> list[str]:
    """Inventory's read models of registered customers and who owns them (R8), as leads' customer-registered
    events would fill them: buyer i belongs to consultant-(i mod CONSULTANTS), whose token `storm` uses for them."""
    customers = [uuid.uuid4() for _ in range(BUYERS)]
    project, now = uuid.UUID(pid), datetime.now(UTC)
    owners = [(c, project, f"consultant-{i % CONSULTANTS}", now) for i, c in enumerate(customers)]
    async with database(settings, "inventory") as conn:
        await conn.copy_records_to_table(
            "customers", columns=["customer_id", "project_id"], records=[(c, project) for c in customers]
        )
        columns = ["customer_id", "project_id", "owner_id", "changed_at"]
        await conn.copy_records_to_table("customer_owners", columns=columns, records=owners)
    return [str(c) for c in customers]


def zipf_picker(units: list[str]):
    weights = list(itertools.accumulate(1 / (k**ZIPF_S) for k in range(1, len(units) + 1)))
    order = units[:]
    random.Random(7).shuffle(order)
    return lambda rng: rng.choices(order, cum_weights=weights)[0]


async def storm(url: str, secret: str, pid: str, units: list[str], customers: list[str], clients: int) -> dict:
    pick = zipf_picker(units)
    tokens = [make_token(secret, f"consultant-{i}", "consultant", [pid]) for i in range(CONSULTANTS)]
    queue: asyncio.Queue = asyncio.Queue()
    for i, customer in enumerate(customers):
        queue.put_nowait((tokens[i % CONSULTANTS], customer))
    results: list[Result] = []

    async def client(conn: Connection, seed: int) -> None:
        rng = random.Random(seed)
        while not queue.empty():
            token, customer = queue.get_nowait()
            body = orjson.dumps({"customer_id": customer})
            for _ in range(ATTEMPTS_PER_BUYER):
                r = await conn.request(
                    "POST", f"/v1/units/{pick(rng)}/holds", body, {"Authorization": f"Bearer {token}"}
                )
                results.append(r)
                if r.status == 201:
                    break

    started = time.perf_counter()
    await asyncio.gather(*(client(c, i) for i, c in enumerate(pool(url, clients))))
    elapsed = time.perf_counter() - started
    ok = [r.latency_ms for r in results if r.status == 201]
    taken = [r.latency_ms for r in results if r.status == 409]
    return {
        "clients": clients,
        "attempts": len(results),
        "seconds": round(elapsed, 2),
        "attempts_per_s": round(len(results) / elapsed, 1),
        "holds": len(ok),
        "holds_per_s": round(len(ok) / elapsed, 1),
        "p50_ms": percentile(ok, 50),
        "p95_ms": percentile(ok, 95),
        "p99_ms": percentile(ok, 99),
        "p50_ms_409": percentile(taken, 50),
        "p95_ms_409": percentile(taken, 95),
        "p99_ms_409": percentile(taken, 99),
        "p99_ms_all": percentile([r.latency_ms for r in results], 99),
        "errors_5xx": sum(r.status >= 500 for r in results),
        "other_statuses": _only_201_and_409(results),
    }


def _only_201_and_409(results: list[Result]) -> list[int]:
    """A storm answered with anything but 201 and 409 (say 404: the buyers unknown) measures nothing: stop."""
    other = sorted({r.status for r in results} - {201, 409} - set(range(500, 600)))
    if other:
        raise RuntimeError(f"the storm got statuses {other}: the workload is wrong, the figures would be too")
    return other


def cpu_seconds(service_pid: int) -> dict[str, float]:
    """CPU time used so far by the service (all its processes), PostgreSQL, and this load generator."""
    import os

    import psutil

    def total(procs) -> float:
        seconds = 0.0
        for proc in procs:
            try:
                times = proc.cpu_times()
                seconds += times.user + times.system
            except psutil.Error:
                pass
        return seconds

    service = psutil.Process(service_pid)
    postgres = [p for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "postgres.bin")]
    return {
        "service": total([service, *service.children(recursive=True)]),
        "postgresql": total(postgres),
        "load_generator": total([psutil.Process(os.getpid())]),
    }


async def invariants(settings: Settings, pid: str, holds: int) -> dict:
    async with database(settings, "inventory") as conn:
        double = await conn.fetchval(
            "SELECT count(*) FROM (SELECT unit_id FROM holds WHERE project_id = $1 AND state = 'live'"
            " GROUP BY unit_id HAVING count(*) > 1) d",
            uuid.UUID(pid),
        )
        events = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE topic = 'estate.inventory.unit-locked.v1'"
            " AND convert_from(payload, 'UTF8')::jsonb->>'project_id' = $1",
            pid,
        )
    return {
        "double_holds": double,
        "unit_locked_events": events,
        "events_per_201": round(events / holds, 4) if holds else None,
    }


PGBENCH_SCRIPT = """\\set n random_zipfian(1, {units}, 1.1)
BEGIN;
SELECT id AS uid FROM bench_unit_ids WHERE n = :n \\gset
WITH taken AS (UPDATE units SET status = 'held', hold_id = gen_random_uuid() WHERE id = :uid AND status = 'available'
    RETURNING id, project_id, building, number, list_price, hold_id),
hold AS (INSERT INTO holds (id, unit_id, project_id, customer_id, consultant_id, expires_at)
    SELECT taken.hold_id, taken.id, taken.project_id, gen_random_uuid(), 'pgbench', now() + interval '30 minutes'
    FROM taken RETURNING expires_at),
history AS (INSERT INTO unit_history (unit_id, project_id, from_status, to_status, reason, actor, ref)
    SELECT taken.id, taken.project_id, 'available', 'held', 'hold', 'pgbench', taken.hold_id::text FROM taken)
SELECT count(*) AS taken FROM taken, hold \\gset
\\if :taken
INSERT INTO outbox (event_id, topic, key, payload)
SELECT gen_random_uuid(), 'estate.platform.pgbench.v1', :uid, convert_to('{payload}', 'UTF8')
FROM (SELECT pg_advisory_xact_lock(hashtextextended(:uid, 7311))) AS key_lock;
\\endif
COMMIT;
"""


async def prepare_pgbench(settings: Settings, pid: str, units: list[str]) -> None:
    async with database(settings, "inventory") as conn:
        await conn.execute(
            "DROP TABLE IF EXISTS bench_unit_ids; CREATE TABLE bench_unit_ids (n int PRIMARY KEY, id uuid)"
        )
        await conn.copy_records_to_table("bench_unit_ids", records=[(i + 1, uuid.UUID(u)) for i, u in enumerate(units)])


async def reset_units(settings: Settings, pid: str) -> None:
    async with database(settings, "inventory") as conn:
        await conn.execute(
            "UPDATE units SET status = 'available', hold_id = NULL WHERE project_id = $1", uuid.UUID(pid)
        )
        await conn.execute("DELETE FROM holds WHERE project_id = $1", uuid.UUID(pid))


def pgbench(settings: Settings, clients: int, seconds: int) -> float:
    payload = orjson.dumps(
        {
            "id": "x" * 36,
            "type": "unit-locked",
            "data": {
                "hold_id": "x" * 36,
                "unit_id": "x" * 36,
                "building": "B1",
                "number": "101",
                "customer_id": "x" * 36,
                "consultant_id": "consultant-1",
                "expires_at": "x" * 32,
                "list_price": "3000000.00",
            },
        }
    ).decode()
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
        f.write(PGBENCH_SCRIPT.format(units=UNITS, payload=payload))
    dsn = service_dsn(settings, "inventory")
    out = subprocess.run(
        [pgbench_path(), "-n", "-M", "prepared", "-f", f.name, "-c", str(clients), "-j", "2", "-T", str(seconds), dsn],
        capture_output=True,
        text=True,
    )
    Path(f.name).unlink()
    match = re.search(r"tps = ([\d.]+)", out.stdout)
    if not match:
        raise RuntimeError(f"pgbench failed: {out.stderr[-500:]}")
    return float(match.group(1))


async def ceiling(settings: Settings, url: str, seconds: int = 8) -> dict:
    pid, units = await new_project(url, settings.jwt_secret)
    await prepare_pgbench(settings, pid, units)
    runs = {}
    for clients in (8, 16, 32, 64):
        await reset_units(settings, pid)
        runs[clients] = await asyncio.to_thread(pgbench, settings, clients, seconds)
    best = max(runs, key=runs.get)
    return {"pgbench_tps_by_clients": runs, "best_clients": best, "ceiling_tps": runs[best]}


async def measured(settings: Settings, url: str, proc: subprocess.Popen, workload: tuple, clients: int) -> dict:
    """One storm on a prepared project (id, units, customers), with the CPU each process spent and the invariants."""
    pid, units, customers = workload
    before = cpu_seconds(proc.pid)
    result = await storm(url, settings.jwt_secret, pid, units, customers, clients)
    after = cpu_seconds(proc.pid)
    result["cpu_share"] = {k: round((after[k] - before[k]) / (result["seconds"] * os.cpu_count()), 3) for k in after}
    result["cpu_ms_per_attempt"] = {k: round((after[k] - before[k]) * 1000 / result["attempts"], 3) for k in after}
    result.update(await invariants(settings, pid, result["holds"]))
    return result


async def run(settings: Settings, workers: int, log_dir: Path) -> dict:
    proc, url = service_process(settings, "inventory", workers, log_dir / "inventory.log")
    try:
        runs = {}
        for clients in (200, 64):
            pid, units = await new_project(url, settings.jwt_secret)
            customers = await seed_customers(settings, pid)
            runs[clients] = await measured(settings, url, proc, (pid, units, customers), clients)
        top = await ceiling(settings, url)
    finally:
        stop(proc)
    main = runs[200]
    return {
        "attempts_per_s": main["attempts_per_s"],
        "holds_per_s": main["holds_per_s"],
        "p50_ms": main["p50_ms"],
        "p95_ms": main["p95_ms"],
        "p99_ms": main["p99_ms"],
        "errors_5xx": main["errors_5xx"] + runs[64]["errors_5xx"],
        "double_holds": main["double_holds"] + runs[64]["double_holds"],
        "events_per_201": main["events_per_201"],
        "ceiling_tps": top["ceiling_tps"],
        "ratio": round(main["attempts_per_s"] / top["ceiling_tps"], 3),
        "p99_ms_at_64": runs[64]["p99_ms"],
        "p99_ms_all_at_64": runs[64]["p99_ms_all"],
        "workers": workers,
        "load_generator": "bench/loadgen.py (raw asyncio keep-alive HTTP/1.1, one process)",
        "runs": runs,
        "ceiling": top,
    }
