"""Issue 22, the group's reports at a group's scale: 50 projects under one org unit, a year (365 local days) of
buckets for 8 consultants each, and every report of the group asked over HTTP of a running leads — daily, monthly,
the funnel over the whole year, the league, the dashboard, a month as CSV and as Excel — with its p50/p99; then
what keeping the figures costs: one event's bucket update in its own transaction, and per event in an inbox batch
of 100. The buckets are written straight into leads' tables (what a year of events leaves there)."""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from bench.infra import service_process, stop
from bench.loadgen import percentile
from services.leads.domain import METRIC_COLUMNS
from services.leads.use_cases import Fact, count_fact
from shared.db.databases import service_dsn
from shared.db.migrate import migrate_service
from shared.db.pool import json_codecs
from shared.http.tokens import make_token
from shared.runtime.settings import Settings

PROJECTS, DAYS, CONSULTANTS = 50, 365, 8
ASKS = 40  # requests per report (sequential: a head office's morning, not a storm)
EVENTS, BATCH = 1_000, 100  # bucket updates measured one per transaction, then in inbox-sized batches
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def run(settings: Settings, logs: Path) -> dict[str, Any]:
    """Seed the group, measure each report over HTTP, then the cost of a bucket update per event."""
    await migrate_service(settings, "leads")
    conn = await asyncpg.connect(service_dsn(settings, "leads"))
    await json_codecs(conn)
    try:
        today = datetime.now(UTC).astimezone(SHANGHAI).date()
        root, region, projects = await _seed(conn, today)
        buckets = await conn.fetchval("SELECT count(*) FROM report_days")
        reports = await asyncio.to_thread(_measure_reports, settings, logs, root, region, today)
        updates = await _bucket_updates(conn, projects, today)
    finally:
        await conn.close()
    shape = {"projects": PROJECTS, "days": DAYS, "consultants_per_project": CONSULTANTS, "buckets": buckets}
    return shape | {"asks_per_report": ASKS, "reports": reports, "bucket_update": updates}


async def _seed(conn: asyncpg.Connection, today: date) -> tuple[str, str, list[uuid.UUID]]:
    """An org tree (root → region), 50 projects in the region, and a year of buckets and funnel days for each."""
    root, region = uuid.uuid4(), uuid.uuid4()
    await conn.execute("INSERT INTO org_units (id, parent_id, path_ids) VALUES ($1, NULL, $2)", root, [root])
    await conn.execute(
        "INSERT INTO org_units (id, parent_id, path_ids) VALUES ($1, $2, $3)", region, root, [root, region]
    )
    await conn.execute("INSERT INTO org_names (org_id, code, name) VALUES ($1, 'EAST', '华东区域')", region)
    projects = [uuid.uuid4() for _ in range(PROJECTS)]
    await conn.executemany(
        "INSERT INTO projects (project_id, code, name) VALUES ($1, $2, $3)",
        [(p, f"P{i:02d}", f"项目{i:02d}") for i, p in enumerate(projects)],
    )
    await conn.executemany(
        "INSERT INTO project_orgs (project_id, org_id) VALUES ($1, $2)", [(p, region) for p in projects]
    )
    rng = random.Random(22)
    days = [today - timedelta(days=n) for n in range(DAYS)]
    rows = [_bucket(rng, p, d, f"c{i}-{p.hex[:6]}") for p in projects for d in days for i in range(CONSULTANTS)]
    await conn.copy_records_to_table(
        "report_days", records=rows, columns=["project_id", "day", "consultant_id", *METRIC_COLUMNS]
    )
    funnel = [(p, d, 6, 5, 3, 2, 1) for p in projects for d in days]
    columns = ["project_id", "day", "registered", "visited", "held", "subscribed", "contracted"]
    await conn.copy_records_to_table("report_funnel_days", records=funnel, columns=columns)
    await conn.execute("ANALYZE report_days; ANALYZE report_funnel_days")
    return str(root), str(region), projects


def _bucket(rng: random.Random, project: uuid.UUID, day: date, consultant: str) -> tuple[Any, ...]:
    """A consultant's plausible day: a few customers and calls, now and then a sale."""
    price, area = Decimal(rng.randrange(80, 400) * 10_000), Decimal(rng.randrange(6000, 16000)) / 100
    sold = rng.random() < 0.1
    deal = (1, area, price) if sold else (0, Decimal(0), Decimal(0))
    counts = (rng.randrange(4), rng.randrange(6), rng.randrange(8), rng.randrange(6))
    money = (Decimal(rng.randrange(0, 50)) * 1000 + Decimal("0.50"), Decimal(0))
    return (project, day, consultant, *counts, *deal, *deal, *deal, 0, *money, 0)


def _measure_reports(settings: Settings, logs: Path, root: str, region: str, today: date) -> dict[str, Any]:
    proc, url = service_process(settings, "leads", 1, logs / "leads-reports.log")
    token = make_token(settings.jwt_secret, "gm-bench", "group_manager", [], orgs=[root])
    month, year_ago = today.strftime("%Y-%m"), (today - timedelta(days=DAYS - 1)).isoformat()
    asks = {
        "daily": ("/v1/reports/daily", {"org_id": region, "date": today.isoformat()}, None),
        "monthly": ("/v1/reports/monthly", {"org_id": region, "month": month}, None),
        "funnel (365 days)": (
            "/v1/reports/funnel",
            {"org_id": region, "from": year_ago, "to": today.isoformat()},
            None,
        ),
        "consultants (league)": ("/v1/reports/consultants", {"org_id": region, "month": month}, None),
        "dashboard": ("/v1/reports/dashboard", {"org_id": region}, None),
        "monthly as CSV": ("/v1/reports/monthly", {"org_id": region, "month": month}, "text/csv"),
        "monthly as Excel": (
            "/v1/reports/monthly",
            {"org_id": region, "month": month},
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    }
    try:
        with httpx.Client(base_url=url, timeout=30, headers={"Authorization": f"Bearer {token}"}) as http:
            return {name: _timed(http, path, params, accept) for name, (path, params, accept) in asks.items()}
    finally:
        stop(proc)


def _timed(http: httpx.Client, path: str, params: dict[str, str], accept: str | None) -> dict[str, Any]:
    headers = {"Accept": accept} if accept else {}
    first = http.get(path, params=params, headers=headers)
    assert first.status_code == 200, first.text[:300]
    latencies = []
    for _ in range(ASKS):
        started = time.perf_counter()
        answer = http.get(path, params=params, headers=headers)
        latencies.append((time.perf_counter() - started) * 1000)
        assert answer.status_code == 200
    latencies.sort()
    return {
        "p50_ms": round(percentile(latencies, 50), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
        "max_ms": round(latencies[-1], 2),
        "bytes": len(first.content),
    }


async def _bucket_updates(conn: asyncpg.Connection, projects: list[uuid.UUID], today: date) -> dict[str, Any]:
    """One event's bucket update (journal, key-visitor check, local day, the bucket, the funnel) in its own
    transaction, and per event in transactions of `BATCH`, as the inbox applies a batch."""
    rng = random.Random(7)
    single = []
    for _ in range(EVENTS):
        fact = _held(rng, projects, today)
        started = time.perf_counter()
        async with conn.transaction():
            await count_fact(conn, fact)
        single.append((time.perf_counter() - started) * 1000)
    single.sort()
    started = time.perf_counter()
    for _ in range(EVENTS // BATCH):
        async with conn.transaction():
            for _ in range(BATCH):
                await count_fact(conn, _held(rng, projects, today))
    batched = (time.perf_counter() - started) * 1000 / EVENTS
    return {
        "events": EVENTS,
        "one_per_transaction_p50_ms": round(percentile(single, 50), 3),
        "one_per_transaction_p99_ms": round(percentile(single, 99), 3),
        "in_batches_of": BATCH,
        "per_event_in_a_batch_ms": round(batched, 3),
    }


def _held(rng: random.Random, projects: list[uuid.UUID], today: date) -> Fact:
    """A unit held in one of the group's projects today: the busiest kind of event on opening day."""
    data = {"hold_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4()), "customer_id": str(uuid.uuid4())}
    data |= {"consultant_id": f"c{rng.randrange(CONSULTANTS)}", "list_price": "2000000.00", "area_m2": "89.50"}
    moment = datetime.combine(today, datetime.min.time(), SHANGHAI) + timedelta(hours=10)
    return Fact(uuid.uuid4(), "unit-locked", rng.choice(projects), moment, data)
