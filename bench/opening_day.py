"""Opening day with the big screens on (issue 11): the hold storm at 64 clients, once alone and once while 200
board screens follow the project's stream. Reports the storm's own figures both ways, and how long each change
took from its hold's transaction to every screen (the transaction's start, before its commit: the figure is an
upper bound of commit → screen), and whether every screen received every change exactly once."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

from bench.hold_storm import measured, new_project, seed_customers
from bench.infra import ROOT, service_process, stop
from bench.loadgen import percentile
from shared.db.databases import service_dsn
from shared.http.tokens import make_token
from shared.runtime.settings import Settings

VIEWERS, CLIENTS, SETTLE_SECONDS = 200, 64, 10.0


async def _storm(settings: Settings, url: str, proc: subprocess.Popen) -> dict:
    pid, units = await new_project(url, settings.jwt_secret)
    return await measured(settings, url, proc, (pid, units, await seed_customers(settings, pid)), CLIENTS)


def _screens(url: str, settings: Settings, pid: str, out: Path) -> subprocess.Popen:
    token = make_token(settings.jwt_secret, "screen", "sales_control", [pid], hours=1)
    command = [sys.executable, "-m", "bench.board_viewers", url, pid, token, str(VIEWERS), str(out)]
    screens = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = screens.stdout.readline().strip() if screens.stdout else ""
    if line != "ready":
        screens.kill()
        raise RuntimeError(f"board screens did not all connect: {line!r}")
    return screens


async def _changes(settings: Settings, pid: str) -> dict[int, float]:
    """Every status change of the project by its board number, with its transaction's start (unix time)."""
    conn = await asyncpg.connect(service_dsn(settings, "inventory"))
    try:
        rows = await conn.fetch(
            "SELECT board_seq, extract(epoch FROM at) AS at FROM unit_history WHERE project_id = $1"
            " AND board_seq IS NOT NULL AND from_status IS DISTINCT FROM to_status",
            uuid.UUID(pid),
        )
    finally:
        await conn.close()
    return {r["board_seq"]: float(r["at"]) for r in rows}


def _push(changes: dict[int, float], arrivals: dict[str, list[float]]) -> dict:
    delays = [(t - changes[int(v)]) * 1000 for v, times in arrivals.items() if int(v) in changes for t in times]
    received = {int(v): len(times) for v, times in arrivals.items()}
    return {
        "changes": len(changes),
        "deliveries": len(delays),
        "expected_deliveries": len(changes) * VIEWERS,
        "missing": sum(max(VIEWERS - received.get(v, 0), 0) for v in changes),
        "duplicates": sum(max(n - VIEWERS, 0) for n in received.values()),
        "p50_ms": percentile(delays, 50),
        "p99_ms": percentile(delays, 99),
        "max_ms": round(max(delays), 2) if delays else None,
    }


async def _with_screens(settings: Settings, url: str, proc: subprocess.Popen) -> dict:
    pid, units = await new_project(url, settings.jwt_secret)
    customers = await seed_customers(settings, pid)
    out = Path(tempfile.mkdtemp(prefix="estate-screens-")) / "arrivals.json"
    screens = _screens(url, settings, pid, out)
    try:
        result = await measured(settings, url, proc, (pid, units, customers), CLIENTS)
        await _settled(settings, pid, result["holds"])
    finally:
        screens.terminate()
        screens.wait(60)
    recorded = json.loads(out.read_text())
    result["push"] = _push(await _changes(settings, pid), recorded["arrivals"]) | {"screen_errors": recorded["errors"]}
    return result


async def _settled(settings: Settings, pid: str, holds: int) -> None:
    """Give the last changes time to reach the screens (bounded): until every hold is numbered, then 1 s."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline and len(await _changes(settings, pid)) < holds:
        await asyncio.sleep(0.2)
    await asyncio.sleep(1.0)


async def run(settings: Settings, workers: int, log_dir: Path) -> dict:
    # the screens share one token: lift the per-person stream cap (issue 19) for the measurement
    proc, url = service_process(
        settings, "inventory", workers, log_dir / "inventory-opening-day.log", ESTATE_BOARD_STREAMS_PER_SUBJECT="1000"
    )
    try:
        alone = await _storm(settings, url, proc)
        watched = await _with_screens(settings, url, proc)
    finally:
        stop(proc)
    return {
        "viewers": VIEWERS,
        "clients": CLIENTS,
        "workers": workers,
        "cpus": os.cpu_count(),
        "alone": alone,
        "watched": watched,
    }
