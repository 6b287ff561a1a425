"""The hold path lever by lever (issue 13) in docs/benchmarks.md, from hold_storm.json's `levers` and profile.json."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bench.formatting import NONE, cpu_ms, dec, ms, pct, rate, ratio, table

# Whether each lever stays, and why in words; the figures that decide it are the table's, from the same run.
VERDICTS = {
    "before": "the starting point",
    "no_reset_query": "kept: one round trip less per request, for the service and for PostgreSQL",
    "hot_route": "kept: the framework's routing, dependency injection and response model were most of the CPU",
    "one_statement": "kept: a winner pays two round trips instead of six, and no BEGIN/COMMIT of its own",
    "reads_together": "kept: one statement answers the attempts of a turn of the event loop, fewer round trips "
    "and system calls for both processes",
    "takes_together": "kept: group commit; the winners of a moment share one statement and one commit, and a loser "
    "to an attempt of its own group is told at once",
    "gc_freeze": "kept: the collector's full passes over start-up's objects stalled every request in flight",
    "warm_pool": "kept: opening day's first attempts no longer wait for connections to open and statements to be "
    "planned",
    "two_workers": "dropped: on two cores shared with PostgreSQL and the load generator, a second process adds "
    "switching, not capacity (`ESTATE_WORKERS` scales it where the service has cores of its own)",
    "granian": "dropped: no less CPU per attempt than uvicorn with httptools and uvloop",
}


def _row(lever: dict[str, Any], ceiling: Any) -> list[str]:
    cpu = lever.get("cpu_ms_per_attempt", {})
    return [
        f"{lever['change']} ({lever['server']}, {lever['workers']} worker{'s' if lever['workers'] > 1 else ''})",
        rate(lever["attempts_per_s"]),
        ratio(dec(lever["attempts_per_s"]) / dec(ceiling)) if ceiling else NONE,
        ms(lever["p99_ms"]),
        ms(lever["p99_ms_409"]),
        cpu_ms(cpu.get("service")),
        cpu_ms(cpu.get("postgresql")),
        f"{rate(lever['errors_5xx'])} / {rate(lever['double_holds'])} / {cpu_ms(lever['events_per_201'])}",
        VERDICTS.get(lever["lever"], NONE),
    ]


def levers(hold: dict[str, Any], profile: dict[str, Any]) -> list[str]:
    """Each lever's row from one run, then where the default service's CPU goes (py-spy)."""
    rows = hold.get("levers", [])
    if not rows:
        return []
    lines = [
        "",
        "## The hold path lever by lever (issue 13, bench/levers.py)",
        "",
        f"Each row is a fresh inventory service in this run under the storm above at {rows[0]['clients']} clients; "
        "each row down to the default turns one more lever on, so its difference from the row above is that "
        "lever's own. The ratio is to the pgbench ceiling above.",
        "",
    ]
    header = ["lever", "attempts/s", "ratio", "201 p99 ms", "409 p99 ms", "service CPU ms/attempt"]
    header += ["PostgreSQL CPU ms/attempt", "5xx / double holds / events per 201", "kept?"]
    lines += table(header, [_row(r, hold.get("ceiling_tps")) for r in rows])
    return lines + _profile(profile)


def _profile(profile: dict[str, Any]) -> list[str]:
    shares = profile.get("share_by_part")
    if not shares:
        return []
    return [
        "",
        f"Where the default service's CPU goes now: py-spy on it during the storm (`{profile['command']}`, "
        f"{profile['workers']} worker, {profile['clients']} clients, {rate(profile['samples'])} samples), by the "
        "library of each sample's innermost frame:",
        "",
        *table(["where", "share of samples"], [[part, pct(share)] for part, share in shares.items()]),
    ]


def cpu_target(hold: dict[str, Any], targets: dict[str, Any]) -> list[list[str]]:
    """The service's CPU per attempt against its target, at each client count of the main runs."""
    limit = targets.get("hold_service_cpu_ms_max")
    runs = hold.get("runs", {})
    if limit is None or not runs:
        return []
    cpu = {c: dec(r["cpu_ms_per_attempt"]["service"]) for c, r in runs.items()}
    worst = max(cpu.values(), default=Decimal(0))
    shown = " / ".join(f"{cpu_ms(v)} ({c} clients)" for c, v in cpu.items())
    return [[f"service CPU ≤ {cpu_ms(limit)} ms per attempt", shown, "met" if worst <= dec(limit) else "**not met**"]]
