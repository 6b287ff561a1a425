"""Issue 13: the hold path lever by lever, each on a fresh service in this run (64 clients), and a py-spy profile
of the service as `make bench` leaves it.

Each lever is a setting (shared/settings.py) or a server; "before" turns every one off, and each next row turns one
more on, so a row's difference from the row above is that lever's own. The storm is bench/hold_storm.py's.
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.hold_storm import measured, new_project, seed_customers
from bench.infra import service_process, stop
from shared.runtime.settings import Settings

CLIENTS = 64
OFF = {  # every lever of issue 13 off: the hold path as it was
    "ESTATE_POOL_RESET_QUERY": "1",
    "ESTATE_HOT_ROUTES": "0",
    "ESTATE_HOLD_IN_ONE_STATEMENT": "0",
    "ESTATE_HOLD_READS_TOGETHER": "0",
    "ESTATE_HOLD_TAKES_TOGETHER": "0",
    "ESTATE_GC_FREEZE": "0",
    "ESTATE_WARM_POOL": "0",
}


def _on(levers: int) -> dict[str, str]:
    """OFF with its first `levers` switches turned back to their defaults (the order of the rows below)."""
    order = list(OFF)
    return {k: v for k, v in OFF.items() if order.index(k) >= levers}


@dataclass(frozen=True)
class Lever:
    name: str
    change: str
    workers: int = 1
    env: dict[str, str] = field(default_factory=dict)
    server: str = "uvicorn"


LEVERS = [
    Lever(
        "before",
        "before issue 13: the framework's route, asyncpg's reset query at every release, a winner's hold in a "
        "transaction of its own, every attempt's read its own statement",
        env=OFF,
    ),
    Lever("no_reset_query", "+ no reset query when a connection goes back to the pool", env=_on(1)),
    Lever("hot_route", "+ the hold answered before the framework (shared/hot.py)", env=_on(2)),
    Lever("one_statement", "+ a winner's unit, hold, history and event in one statement", env=_on(3)),
    Lever("reads_together", "+ attempts read their context together (shared/batching.py)", env=_on(4)),
    Lever("takes_together", "+ those that may win take their units together: group commit", env=_on(5)),
    Lever("gc_freeze", "+ start-up's objects frozen out of the collector's full passes", env=_on(6)),
    Lever("warm_pool", "+ 10 connections open at start, group statements prepared on each: the default", env=_on(7)),
    Lever("two_workers", "the default with 2 uvicorn workers", workers=2),
    Lever("granian", "the default under granian instead of uvicorn", server="granian"),
]


async def _workload(settings: Settings, url: str) -> tuple[str, list[str], list[str]]:
    """A fresh project with its units and buyers: what the storm reaches for."""
    pid, units = await new_project(url, settings.jwt_secret)
    return pid, units, await seed_customers(settings, pid)


async def _storm(settings: Settings, url: str, proc: subprocess.Popen, clients: int) -> dict[str, Any]:
    return await measured(settings, url, proc, await _workload(settings, url), clients)


def measure_levers(settings: Settings, logs: Path) -> list[dict[str, Any]]:
    """Each lever on a service of its own, one after the other, the storm at CLIENTS clients."""
    rows = []
    for lever in LEVERS:
        log = logs / f"{lever.name}.log"
        proc, url = service_process(settings, "inventory", lever.workers, log, lever.server, **lever.env)
        try:
            run = asyncio.run(_storm(settings, url, proc, CLIENTS))
        finally:
            stop(proc)
        rows.append({"lever": lever.name, "change": lever.change, "workers": lever.workers, "server": lever.server})
        rows[-1].update(run)
        print(lever.name, run["attempts_per_s"], run["cpu_ms_per_attempt"], flush=True)
    return rows


def profile(settings: Settings, logs: Path, seconds: int = 8) -> dict[str, Any]:
    """py-spy (200 Hz) on the default service, 1 worker, during the storm (not its set-up): where the samples go."""
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if spy is None:
        raise RuntimeError("py-spy is missing from the venv (pyproject's dev extras pin it)")
    proc, url = service_process(settings, "inventory", 1, logs / "profiled.log")
    raw = Path(tempfile.mkdtemp(prefix="estate-profile-")) / "samples.txt"
    try:
        workload = asyncio.run(_workload(settings, url))  # before the recording: the storm's samples only
        command = [spy, "record", "-r", "200", "-f", "raw", "-d", str(seconds), "-o", str(raw), "-p", str(proc.pid)]
        recorder = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        asyncio.run(measured(settings, url, proc, workload, CLIENTS))
        recorder.wait(seconds + 30)
    finally:
        stop(proc)
    return {"command": "py-spy record -r 200 -f raw", "workers": 1, "clients": CLIENTS, **summarize(raw.read_text())}


# Where a sample's innermost frame is, by the path of its file (py-spy shows it from the package down: "asyncpg/
# pool.py", "shared/hot.py"): the first part whose prefix matches names it.
PARTS = (
    ("our code (shared/, services/)", ("shared/", "services/")),
    ("asyncpg (queries, pool)", ("asyncpg/",)),
    ("uvicorn (HTTP protocol)", ("uvicorn/", "granian/", "httptools/")),
    ("FastAPI, Starlette, pydantic", ("fastapi/", "starlette/", "pydantic", "opentelemetry/")),
    ("asyncio and the event loop (uvloop's C code shows as asyncio's run)", ("asyncio/", "uvloop/")),
    ("Kafka client (relay, consumers)", ("aiokafka/", "faststream/")),
)
_FRAME = re.compile(r"\((?:.*site-packages/)?([^:()]+):\d+\)$")


def summarize(raw: str) -> dict[str, Any]:
    """Shares of the samples by the library their innermost frame is in; the rest is the standard library."""
    shares: Counter[str] = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        found = _FRAME.search(stack.rsplit(";", 1)[-1]) if count.isdigit() else None
        path = found.group(1) if found else ""
        part = next((name for name, marks in PARTS if path.startswith(marks)), "standard library, other")
        shares[part] += int(count) if count.isdigit() else 0
    total = sum(shares.values()) or 1
    return {"samples": total, "share_by_part": {k: round(v / total, 3) for k, v in shares.most_common() if v}}
