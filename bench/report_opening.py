"""The opening-day section of docs/benchmarks.md (issue 11), rendered from bench/results/opening_day.json only."""

from __future__ import annotations

from typing import Any

from bench.formatting import NONE, cpu_ms, ms, rate, table


def _storm_row(name: str, run: dict[str, Any]) -> list[str]:
    cpu = run.get("cpu_ms_per_attempt", {})
    return [
        name,
        rate(run.get("attempts_per_s")),
        rate(run.get("holds_per_s")),
        ms(run.get("p99_ms")),
        ms(run.get("p99_ms_409")),
        rate(run.get("errors_5xx")),
        rate(run.get("double_holds")),
        cpu_ms(cpu.get("service")),
        cpu_ms(cpu.get("postgresql")),
    ]


def opening_day(result: dict[str, Any]) -> list[str]:
    """The storm alone and with the screens on, and how fast and how completely the screens followed."""
    alone, watched = result.get("alone", {}), result.get("watched", {})
    push = watched.get("push", {})
    lines = [
        "",
        "## Opening day with the board on the wall (bench/opening_day.py)",
        "",
        f"The hold storm at {result.get('clients')} clients, alone and while {result.get('viewers')} board screens "
        "follow the project's stream (bench/board_viewers.py, a process of their own); inventory with "
        f"{result.get('workers')} worker process(es).",
        "",
    ]
    header = ["run", "attempts/s", "holds/s", "p99 201 ms", "p99 409 ms", "5xx", "double holds"]
    header += ["service CPU ms/attempt", "PostgreSQL CPU ms/attempt"]
    lines += table(header, [_storm_row("storm alone", alone), _storm_row("storm + screens", watched)])
    lines += [
        "",
        "From each hold's transaction to its arrival at every screen (measured from the transaction's start, so an "
        "upper bound of commit to screen):",
        "",
    ]
    rows = [
        [
            rate(push.get("changes")),
            rate(push.get("deliveries")),
            rate(push.get("expected_deliveries")),
            rate(push.get("missing")),
            rate(push.get("duplicates")),
            ms(push.get("p50_ms")),
            ms(push.get("p99_ms")),
            ms(push.get("max_ms")),
            str(len(push.get("screen_errors", []))) if push else NONE,
        ]
    ]
    header = ["changes", "deliveries", "expected", "missing", "twice", "p50 ms", "p99 ms", "max ms", "screen errors"]
    return lines + table(header, rows)
