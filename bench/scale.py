"""Group scale (issue 23): a group of 20 projects, one of them grown to 1,000, 10,000 and `ESTATE_BENCH_SCALE`
(100,000 by default) customers in one run; at each size p50/p95 of every list and report endpoint (the four
services as `estate serve` runs them) and the duration of every periodic job's pass.

Seeding: bench/seeding.py (the services' rows, sealed with the run's key). Between sizes the databases are
vacuumed and analysed, as autovacuum keeps a database that grew over years. A job's pass runs on a connection of
its own inside a transaction that is rolled back, so every size times the same work (the digest: today's not yet
sent, and a pass after it was). Requests go one at a time, each endpoint in turn, so the machine's noise falls on
every size alike.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.infra import service_process, stop
from bench.loadgen import percentile
from bench.scale_jobs import JOBS
from shared.db.databases import service_dsn
from shared.db.migrate import migrate_all
from shared.http.tokens import make_token
from shared.runtime.settings import Settings
from shared.trust.pii import Vault
from tests.support.seeding import Project, Seeder, connect

SERVICES = ("leads", "inventory", "payments", "notifications")
GROUP, OTHERS_SIZE = 20, 500  # projects in the group; customers of each project but the one that grows
REPEATS = int(os.environ.get("ESTATE_BENCH_SCALE_REPEATS", "25"))


def sizes() -> tuple[int, ...]:
    top = int(os.environ.get("ESTATE_BENCH_SCALE", "100000"))
    return tuple(sorted({1_000, min(10_000, top), top}))


def endpoints(p: Project, phone: str, customer: str) -> dict[str, tuple[str, str, str, dict[str, str]]]:
    """Every list and report, as (service, role, path, extra headers); a consultant sees their own."""
    pid, csv = str(p.id), {"Accept": "text/csv"}
    return {
        "customers (manager)": ("leads", "manager", f"/v1/customers?project_id={pid}&limit=50", {}),
        "customers (consultant)": ("leads", "consultant", f"/v1/customers?project_id={pid}&limit=50", {}),
        "customers ?overdue=true": ("leads", "manager", f"/v1/customers?project_id={pid}&overdue=true&limit=50", {}),
        "lookup by phone": ("leads", "consultant", f"/v1/customers/lookup?project_id={pid}&phone={phone}", {}),
        "customer record": ("leads", "manager", f"/v1/customers/{customer}", {}),
        "customer timeline": ("leads", "manager", f"/v1/customers/{customer}/timeline", {}),
        "overdue follow-ups": ("leads", "manager", f"/v1/projects/{pid}/followups/overdue?limit=100", {}),
        "weekly review (JSON)": ("leads", "manager", f"/v1/projects/{pid}/reports/weekly", {}),
        "weekly review (CSV)": ("leads", "manager", f"/v1/projects/{pid}/reports/weekly", csv),
        "claims": ("leads", "manager", f"/v1/claims?project_id={pid}", {}),
        "call-backs overdue": ("leads", "manager", f"/v1/callbacks?project_id={pid}&due=overdue", {}),
        "call-backs today (consultant)": ("leads", "consultant", f"/v1/callbacks?project_id={pid}", {}),
        "referrals": ("leads", "manager", f"/v1/projects/{pid}/referrals", {}),
        "after-sales visits": ("leads", "manager", f"/v1/aftersales/visits?project_id={pid}", {}),
        "visitor register": ("leads", "manager", f"/v1/projects/{pid}/visitors", {}),
        "call stats": ("leads", "manager", f"/v1/projects/{pid}/calls/stats", {}),
        "units": ("inventory", "manager", f"/v1/projects/{pid}/units", {}),
        "board": ("inventory", "manager", f"/v1/projects/{pid}/board", {}),
        "conflicts": ("inventory", "manager", f"/v1/projects/{pid}/conflicts", {}),
        "deposits": ("payments", "manager", f"/v1/projects/{pid}/deposits", {}),
        "reminders (manager)": ("notifications", "manager", "/v1/reminders", {}),
        "reminders (consultant)": ("notifications", "consultant", "/v1/reminders", {}),
        "notifications (manager)": ("notifications", "manager", "/v1/notifications", {}),
        "notifications (consultant)": ("notifications", "consultant", "/v1/notifications", {}),
    }


async def run(settings: Settings, logs: Path | None = None) -> dict[str, Any]:
    logs = logs or Path(tempfile.mkdtemp(prefix="estate-bench-scale-"))
    await migrate_all(settings, SERVICES)
    conns = {name: await connect(service_dsn(settings, name)) for name in SERVICES}
    counted = await conns["leads"].fetchval("SELECT to_regclass('needs_asked') IS NOT NULL")
    seeder = Seeder(conns, Vault(settings.pii_key), counted=counted)  # an older schema: the figures before
    started = time.perf_counter()
    for i in range(1, GROUP):
        await seeder.grow(await seeder.project(f"G{i:03d}"), OTHERS_SIZE)
    big = await seeder.project("G000")
    procs = {name: service_process(settings, name, 1, logs / f"{name}.log") for name in SERVICES}
    urls = {name: url for name, (_, url) in procs.items()}
    measured: dict[int, dict[str, Any]] = {}
    seeding = time.perf_counter() - started
    try:
        for size in sizes():
            began = time.perf_counter()
            await seeder.grow(big, size)
            seeding += time.perf_counter() - began
            await _vacuum(conns)
            measured[size] = await _measure(settings, urls, conns, seeder, big)
    finally:
        for proc, _ in procs.values():
            stop(proc)
        for conn in conns.values():
            await conn.close()
    return _result(measured, seeding)


async def _vacuum(conns: dict[str, asyncpg.Connection]) -> None:
    for conn in conns.values():
        await conn.execute("VACUUM ANALYZE")


async def _measure(
    settings: Settings, urls: dict[str, str], conns: dict[str, asyncpg.Connection], seeder: Seeder, p: Project
) -> dict[str, Any]:
    customer = await conns["leads"].fetchval(
        "SELECT id FROM customers WHERE project_id = $1 ORDER BY registered_at DESC LIMIT 1", p.id
    )
    phone = seeder.vault.decrypt(
        await conns["leads"].fetchval("SELECT phone_enc FROM customers WHERE id = $1", customer)
    )
    tokens = {
        role: make_token(settings.jwt_secret, _sub(p, role), role, [str(p.id)]) for role in ("manager", "consultant")
    }
    wanted = endpoints(p, phone, str(customer))
    samples: dict[str, list[float]] = {name: [] for name in wanted}
    statuses: dict[str, int] = {}
    items: dict[str, int] = {}
    async with httpx.AsyncClient(timeout=120) as client:
        for _ in range(REPEATS + 2):  # the first two warm the services' caches and prepared statements
            for name, (service, role, path, headers) in wanted.items():
                began = time.perf_counter()
                answer = await client.get(
                    urls[service] + path, headers={"Authorization": f"Bearer {tokens[role]}"} | headers
                )
                samples[name].append((time.perf_counter() - began) * 1000)
                statuses[name], items[name] = answer.status_code, _items(answer)
    lists = {
        name: _figures(times[2:]) | {"status": statuses[name], "items": items[name]} for name, times in samples.items()
    }
    return {"customers": p.customers, "endpoints": lists, "jobs": await _jobs(conns, seeder, p)}


def _items(answer: httpx.Response) -> int:
    """The size of the answer, what its cost may follow: a list's items (a page holds at most 100), the board's
    units, the weekly review's consultants, a CSV's lines; 1 for a single record."""
    if answer.status_code != 200:
        return 0
    if answer.headers.get("content-type", "").startswith("text/csv"):
        return max(len(answer.text.splitlines()) - 1, 0)
    body = answer.json()
    if isinstance(body, list):
        return len(body)
    if "buildings" in body:
        return sum(len(floor["units"]) for building in body["buildings"] for floor in building["floors"])
    return len(body["by_consultant"]) if "by_consultant" in body else 1


def _sub(p: Project, role: str) -> str:
    return p.consultants[0] if role == "consultant" else f"{p.code}-manager"


def _figures(times: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(times, 50), 2), "p95_ms": round(percentile(times, 95), 2)}


async def _jobs(conns: dict[str, asyncpg.Connection], seeder: Seeder, p: Project) -> dict[str, Any]:
    """Each periodic job's pass, timed a few times (median), every pass rolled back."""
    out = {}
    for name, (service, job) in JOBS.items():
        times, acted = [], 0
        for _ in range(5):
            elapsed, acted = await _rolled_back(conns[service], lambda conn, job=job: job(conn, seeder.vault, p.id))
            times.append(elapsed)
        out[name] = {"ms": round(sorted(times)[len(times) // 2], 2), "rows": acted}
    return out


class _Rollback(Exception):
    pass


async def _rolled_back(
    conn: asyncpg.Connection, work: Callable[[asyncpg.Connection], Awaitable[int]]
) -> tuple[float, int]:
    """How long `work` takes and what it reports, with nothing it did kept."""
    result = {}
    try:
        async with conn.transaction():
            began = time.perf_counter()
            result["rows"] = await work(conn)
            result["ms"] = (time.perf_counter() - began) * 1000
            raise _Rollback
    except _Rollback:
        pass
    return result["ms"], int(result["rows"] or 0)


def _result(measured: dict[int, dict[str, Any]], seeding: float) -> dict[str, Any]:
    sizes_run = sorted(measured)
    low, high = sizes_run[0], sizes_run[-1]
    growth = {
        name: round(measured[high]["endpoints"][name]["p50_ms"] / measured[low]["endpoints"][name]["p50_ms"], 2)
        for name in measured[low]["endpoints"]
    }
    return {
        "group_projects": GROUP,
        "other_projects_customers": OTHERS_SIZE,
        "sizes": sizes_run,
        "repeats": REPEATS,
        "seeding_seconds": round(seeding, 1),
        "by_size": {str(size): measured[size] for size in sizes_run},
        "growth_p50": growth,
    }
