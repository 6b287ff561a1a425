"""The opening-day section of docs/benchmarks.md (issues 11, 25), rendered from bench/results/opening_day.json only:
the storm alone and with 1,000 and 200 screens, rounds and their medians, each process's CPU, the screens' delays
and completeness, and the run's targets."""

from __future__ import annotations

import statistics
from typing import Any

from bench.formatting import NONE, about, cpu_ms, ms, rate, ratio, table, verdict

CPU = ("web_process", "fanout", "screens", "postgresql", "load_generator")


def _median(runs: list[dict[str, Any]], *path: str) -> float | None:
    values = []
    for run in runs:
        value: Any = run
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is not None:
            values.append(value)
    return statistics.median(values) if values else None


def _conditions(result: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    screens = sorted((k for k in result if k.isdigit()), key=int, reverse=True)
    return [("storm alone", result.get("alone", {}))] + [
        (f"storm + {rate(int(k))} screens", result[k]) for k in screens
    ]


def _storm_rows(result: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name, condition in _conditions(result):
        runs = condition.get("runs", [])
        rows.append(
            [
                name,
                rate(condition.get("attempts_per_s")),
                ratio(condition.get("ratio", 1.0 if runs else None)),
                " / ".join(rate(r.get("attempts_per_s")) for r in runs) or NONE,
                " / ".join(ratio(x) for x in condition.get("ratio_by_round", [])) or NONE,
                rate(_median(runs, "holds_per_s")),
                ms(_median(runs, "p99_ms")),
                ms(_median(runs, "p99_ms_409")),
                rate(sum(r.get("errors_5xx", 0) for r in runs)),
                rate(sum(r.get("double_holds", 0) for r in runs)),
            ]
        )
    return rows


def _cpu_rows(result: dict[str, Any]) -> list[list[str]]:
    """Each process's median CPU per attempt, their sum, and what the sum alone ÷ the sum with screens would make
    the ratio where the cores, not the service, limit the storm (a derived estimate, steadier than attempts/s)."""
    rows, alone = [], None
    for name, condition in _conditions(result):
        runs = condition.get("runs", [])
        parts = [_median(runs, "cpu_ms_per_attempt", part) for part in CPU]
        total = sum(p for p in parts if p is not None) if runs else None
        alone = alone if alone is not None else total
        bound = about(alone / total) if alone and total else NONE
        rows.append([name, *(cpu_ms(p) for p in parts), cpu_ms(total), bound])
    return rows


def _push_rows(result: dict[str, Any]) -> list[list[str]]:
    rows = []
    for name, condition in _conditions(result)[1:]:
        push = condition.get("push", {})
        rows.append(
            [
                name.removeprefix("storm + "),
                rate(push.get("changes")),
                rate(push.get("deliveries")),
                rate(push.get("expected_deliveries")),
                rate(push.get("missing")),
                rate(push.get("duplicates")),
                ms(push.get("p50_ms")),
                ms(push.get("p99_ms")),
                ms(push.get("max_ms")),
                f"{rate(push.get('screens_ended'))} / {rate(len(push.get('screen_errors', [])))}",
            ]
        )
    return rows


def _target_rows(result: dict[str, Any]) -> list[list[str]]:
    targets, rows = result.get("targets", {}), []
    for name, condition in _conditions(result)[1:]:
        push, got = condition.get("push", {}), condition.get("ratio")
        if "ratio_min" in targets and got is not None:
            want = targets["ratio_min"]
            rows.append([f"{name}: attempts/s ≥ {ratio(want)} × alone", ratio(got), verdict(got >= want)])
        if "p99_ms_below" in targets and push.get("p99_ms") is not None:
            want, p99 = targets["p99_ms_below"], push["p99_ms"]
            rows.append([f"{name}: p99 change → screen < {ms(want)} ms", ms(p99), verdict(p99 < want)])
        if push:
            once = push.get("missing", 1) <= targets.get("missing_max", 0)
            once = once and push.get("duplicates", 1) <= targets.get("twice_max", 0)
            rows.append(
                [
                    f"{name}: every change to every screen once",
                    f"{rate(push.get('missing'))} missing, {rate(push.get('duplicates'))} twice",
                    verdict(once),
                ]
            )
    return rows


def _load_line(result: dict[str, Any]) -> str:
    parts = []
    for name, condition in _conditions(result):
        loads = [r.get("load_average") for r in condition.get("runs", []) if r.get("load_average") is not None]
        parts.append(f"{name.removeprefix('storm ')} {' / '.join(f'{x:.1f}' for x in loads) or NONE}")
    return "; ".join(parts)


def opening_day(result: dict[str, Any]) -> list[str]:
    """The storm alone and with the screens on, what each process spent, how fast and fully the screens followed."""
    rounds = result.get("rounds")
    lines = [
        "",
        "## Opening day with the board on the wall (bench/opening_day.py)",
        "",
        f"The hold storm at {result.get('clients')} clients, alone and while board screens follow the project's stream "
        "(bench/board_viewers.py, all screens in one client process of their own), in one run of one inventory service "
        f"({result.get('workers')} worker process), {rounds} rounds of each (alone, 1,000, 200; the "
        "next round the other way round); a "
        "figure is the median of the rounds, and each round's attempts/s, and its ratio to that round's storm "
        "alone, are listed. Since issue 25 the web process answers a stream's head and hands its "
        "connection to the board's fan-out process beside it (services/inventory/fanout), which numbers and reads "
        "the changes, encodes each moment's changes once and writes the same chunk to every screen; the hold path's "
        "event loop serves no screen.",
        "",
    ]
    header = ["run", "attempts/s", "vs alone", "rounds", "vs alone, round by round", "holds/s", "p99 201 ms"]
    header += ["p99 409 ms", "5xx", "double holds"]
    lines += table(header, _storm_rows(result))
    lines += [
        "",
        "CPU per attempt (ms), by process (medians of the rounds). Where the machine's cores are what limits the "
        "storm, its attempts/s follow the CPU all these processes spend per attempt: the last column is that estimate "
        "of the ratio, steadier than attempts/s on a shared machine.",
        "",
    ]
    header = ["run", "web process", "fan-out process", "screens' client", "PostgreSQL", "load generator", "all"]
    header += ["alone ÷ this (CPU-bound ratio)"]
    lines += table(header, _cpu_rows(result))
    lines += [
        "",
        "From each hold's transaction to its arrival at every screen, all rounds together (measured from the "
        "transaction's start, so an upper bound of commit to screen):",
        "",
    ]
    header = ["screens", "changes", "deliveries", "expected", "missing", "twice", "p50 ms", "p99 ms", "max ms"]
    lines += table([*header, "ended early / errors"], _push_rows(result))
    lines += ["", "Against the targets of this run:", ""]
    lines += table(["target", "last run", "verdict"], _target_rows(result))
    lines += [
        "",
        f"The machine's load average (1 min) as each storm began: {_load_line(result)}. Its "
        f"{result.get('cpus')} cores are shared with other work (other test suites and benchmarks run beside this "
        "one), so the rounds differ; a load average well above the core count marks a noisy round.",
    ]
    lines += _noise(result)
    if result.get("note"):
        lines += ["", str(result["note"])]
    return lines


def _noise(result: dict[str, Any]) -> list[str]:
    """When the storm alone itself varied by more than a fifth from round to round, say what that means."""
    alone = [r["attempts_per_s"] for r in result.get("alone", {}).get("runs", []) if r.get("attempts_per_s")]
    if len(alone) < 2 or max(alone) < 1.2 * min(alone):
        return []
    ratios = [x for _, c in _conditions(result)[1:] for x in c.get("ratio_by_round", [])]
    spread = f"; the rounds' ratios run from {ratio(min(ratios))} to {ratio(max(ratios))}" if ratios else ""
    return [
        "",
        f"The storm alone ran from {rate(min(alone))} to {rate(max(alone))} attempts/s across the rounds of this run"
        f"{spread}: here the machine's other work moves attempts/s more than the screens do, and a ratio above 1 is "
        "that noise. The CPU table above is the steadier measure of what the screens cost.",
    ]
