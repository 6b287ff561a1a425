"""Opening day with the big screens on (issues 11, 25): the hold storm at 64 clients alone, with 1,000 board screens
following the project's stream, and with 200, in one run of one inventory service — in rounds, so that a shared
machine's noise shows (the figures are the rounds' medians; every round is kept), the order of the three turned
round every other round so that none is always first. Reports the storm's own figures
each way, the CPU each process spent (the web process, its board fan-out process, the screens' client, PostgreSQL,
the load generator), how long each change took from its hold's transaction to every screen (from the transaction's
start, before its commit: an upper bound of commit → screen), and whether every screen received every change exactly
once."""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil

from bench.hold_storm import measured, new_project, seed_customers
from bench.infra import ROOT, database, service_process, stop
from bench.loadgen import percentile
from shared.http.tokens import make_token
from shared.runtime.settings import Settings

SCREENS, CLIENTS, SETTLE_SECONDS = (1000, 200), 64, 20.0
ROUNDS = int(os.environ.get("ESTATE_BENCH_OPENING_ROUNDS", "5"))  # fewer for a quick look
TARGETS = {"ratio_min": 0.9, "p99_ms_below": 1000.0, "missing_max": 0, "twice_max": 0}


def _cpu(proc: psutil.Process | None) -> float:
    try:
        times = proc.cpu_times() if proc is not None else None
    except psutil.Error:
        return 0.0
    return times.user + times.system if times is not None else 0.0


def _fanout(service: subprocess.Popen) -> psutil.Process | None:
    """The service's board fan-out process (issue 25), if it runs one."""
    kids = psutil.Process(service.pid).children(recursive=True)
    return next((k for k in kids if "services.inventory.fanout" in " ".join(k.cmdline())), None)


def _screens(url: str, settings: Settings, pid: str, count: int, out: Path) -> subprocess.Popen:
    token = make_token(settings.jwt_secret, "screen", "sales_control", [pid], hours=1)
    command = [sys.executable, "-m", "bench.board_viewers", url, pid, token, str(count), str(out)]
    screens = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = screens.stdout.readline().strip() if screens.stdout else ""
    if line != "ready":
        screens.kill()
        raise RuntimeError(f"board screens did not all connect: {line!r}")
    return screens


async def _changes(settings: Settings, pid: str) -> dict[int, float]:
    """Every status change of the project by its board number, with its transaction's start (unix time)."""
    async with database(settings, "inventory") as conn:
        rows = await conn.fetch(
            "SELECT board_seq, extract(epoch FROM at) AS at FROM unit_history WHERE project_id = $1"
            " AND board_seq IS NOT NULL AND from_status IS DISTINCT FROM to_status",
            uuid.UUID(pid),
        )
    return {r["board_seq"]: float(r["at"]) for r in rows}


def _push(changes: dict[int, float], arrivals: dict[str, list[float]], screens: int) -> dict:
    delays = [(t - changes[int(v)]) * 1000 for v, times in arrivals.items() if int(v) in changes for t in times]
    received = {int(v): len(times) for v, times in arrivals.items()}
    return {
        "changes": len(changes),
        "deliveries": len(delays),
        "expected_deliveries": len(changes) * screens,
        "missing": sum(max(screens - received.get(v, 0), 0) for v in changes),
        "duplicates": sum(max(n - screens, 0) for n in received.values()),
        "p50_ms": percentile(delays, 50),
        "p99_ms": percentile(delays, 99),
        "max_ms": round(max(delays), 2) if delays else None,
        "delays_ms": delays,
    }


async def _measured(settings: Settings, url: str, proc: subprocess.Popen, workload: tuple, others: list) -> dict:
    """One storm, with the CPU per attempt of the web process alone, of its fan-out process and of `others`."""
    parts = [psutil.Process(proc.pid), _fanout(proc), *others]
    load, before = os.getloadavg()[0], [_cpu(p) for p in parts]
    result = await measured(settings, url, proc, workload, CLIENTS)
    spent = [round((_cpu(p) - b) * 1000 / result["attempts"], 3) for p, b in zip(parts, before, strict=True)]
    result["cpu_ms_per_attempt"] |= dict(zip(("web_process", "fanout", "screens"), spent, strict=False))
    return result | {"load_average": round(load, 2)}


async def _storm(settings: Settings, url: str, proc: subprocess.Popen) -> dict:
    pid, units = await new_project(url, settings.jwt_secret)
    return await _measured(settings, url, proc, (pid, units, await seed_customers(settings, pid)), [])


async def _with_screens(settings: Settings, url: str, proc: subprocess.Popen, count: int) -> dict:
    pid, units = await new_project(url, settings.jwt_secret)
    customers = await seed_customers(settings, pid)
    out = Path(tempfile.mkdtemp(prefix="estate-screens-")) / "arrivals.json"
    screens = _screens(url, settings, pid, count, out)
    try:
        result = await _measured(settings, url, proc, (pid, units, customers), [psutil.Process(screens.pid)])
        await _settled(settings, pid, result["holds"])
    finally:
        screens.terminate()
        screens.wait(120)
    recorded = json.loads(out.read_text())
    push = _push(await _changes(settings, pid), recorded["arrivals"], count)
    push |= {"screen_errors": recorded["errors"], "screens_ended": recorded["ended"]}
    return result | {"screens": count, "push": push}


async def _settled(settings: Settings, pid: str, holds: int) -> None:
    """Give the last changes time to reach the screens (bounded): until every hold is numbered, then 2 s."""
    deadline = time.monotonic() + SETTLE_SECONDS
    while time.monotonic() < deadline and len(await _changes(settings, pid)) < holds:
        await asyncio.sleep(0.2)
    await asyncio.sleep(2.0)


def _median(runs: list[dict], key: str) -> float:
    return round(statistics.median(r[key] for r in runs), 1)


def summary(rounds: list[dict]) -> dict:
    """Per condition: the median round's figures; the ratio of medians; every change's delays pooled."""
    alone = [r["alone"] for r in rounds]
    out: dict = {"alone": {"attempts_per_s": _median(alone, "attempts_per_s"), "runs": alone}}
    for count in SCREENS:
        runs = [r[str(count)] for r in rounds]
        delays = [d for run in runs for d in run["push"].pop("delays_ms")]
        push = {k: sum(run["push"][k] for run in runs) for k in ("changes", "deliveries", "expected_deliveries")}
        push |= {k: sum(run["push"][k] for run in runs) for k in ("missing", "duplicates", "screens_ended")}
        push |= {"p50_ms": percentile(delays, 50), "p99_ms": percentile(delays, 99), "max_ms": round(max(delays), 2)}
        push["screen_errors"] = [e for run in runs for e in run["push"]["screen_errors"]]
        median = _median(runs, "attempts_per_s")
        out[str(count)] = {"attempts_per_s": median, "ratio": round(median / out["alone"]["attempts_per_s"], 3)}
        paired = [round(r[str(count)]["attempts_per_s"] / r["alone"]["attempts_per_s"], 3) for r in rounds]
        out[str(count)]["ratio_by_round"] = paired  # each round's screens against that round's storm alone
        out[str(count)] |= {"push": push, "runs": runs}
    return out


async def run(settings: Settings, workers: int, log_dir: Path) -> dict:
    # the screens share one token: lift the per-person stream cap (issue 19) for the measurement
    cap = str(max(SCREENS) + 10)
    log = log_dir / "inventory-opening-day.log"
    proc, url = service_process(settings, "inventory", workers, log, ESTATE_BOARD_STREAMS_PER_SUBJECT=cap)
    rounds: list[dict] = []
    try:
        for number in range(ROUNDS):
            conditions = [None, *SCREENS] if number % 2 == 0 else [*reversed(SCREENS), None]  # no place favoured
            round_: dict = {}
            for count in conditions:
                if count is None:
                    round_["alone"] = await _storm(settings, url, proc)
                else:
                    round_[str(count)] = await _with_screens(settings, url, proc, count)
            rounds.append(round_)
    finally:
        stop(proc)
    head = {"clients": CLIENTS, "workers": workers, "cpus": os.cpu_count(), "rounds": ROUNDS, "targets": TARGETS}
    return head | summary(rounds)
