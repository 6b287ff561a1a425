"""docs/benchmarks.md, rendered from the JSON files in bench/results only.

Every figure in the document comes from a results file: the last run (hold_storm.json, pipeline.json,
machine.json, all written by `python -m bench`), earlier runs (history.json), the py-spy profile
(profile.json) and the targets (targets.json); only the hold storm's workload constants (UNITS, BUYERS,
...) are read from bench/hold_storm.py itself. The prose around them holds no figures of its own, so
it cannot contradict the tables. `render()` needs no benchmark and no live probing;
`python -m bench.report` rewrites the document from the committed results, and
tests/repo/test_benchmarks_doc.py fails when the document differs from `render()`.

Rounding, one rule per kind of figure: rates, counts and tps whole (thousands separated); latencies in ms
to one decimal; ratios to three decimals; CPU ms per attempt to two; shares in whole percent; derived
estimates ("about") to two significant figures.
"""

from __future__ import annotations

import ast
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.formatting import NONE, at_most, cpu_ms, dec, ms, pct, rate, ratio, table, verdict
from bench.report_departure import departure
from bench.report_idle import idle as idle_section
from bench.report_idle import targets as idle_targets
from bench.report_levers import cpu_target, levers
from bench.report_opening import opening_day
from bench.report_reports import group_reports
from bench.report_scale import scale as scale_section
from bench.report_scale import scale_out as scale_out_section
from bench.report_scale import targets as scale_targets

RESULTS = Path(__file__).parent / "results"
HOLD_STORM = Path(__file__).parent / "hold_storm.py"
DOC = Path(__file__).parent.parent / "docs" / "benchmarks.md"


def _load(results: Path, name: str) -> Any:
    path = results / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _workload() -> dict[str, Any]:
    """The hold storm's workload constants (UNITS, BUYERS, ...), read from bench/hold_storm.py without importing it."""
    for node in ast.parse(HOLD_STORM.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Tuple):
            names = [t.id for t in node.targets[0].elts if isinstance(t, ast.Name)]
            if "UNITS" in names:
                return dict(zip(names, ast.literal_eval(node.value), strict=True))
    raise LookupError(f"no UNITS, BUYERS, ... assignment in {HOLD_STORM}")


def _machine(machine: dict) -> list[str]:
    return ["", "## Machine", "", *table(["what", "value"], [[k, str(v)] for k, v in machine.items()])]


def _runs_by_clients(hold: dict) -> list[tuple[int, dict]]:
    """Hold-storm runs, most clients first (the order bench/hold_storm.py runs them in)."""
    return sorted(((int(c), r) for c, r in hold.get("runs", {}).items()), key=lambda cr: -cr[0])


def _share(run: dict) -> Decimal | None:
    share = run.get("cpu_share", {})
    return sum((dec(v) for v in share.values()), Decimal(0)) if share else None


def _hold(hold: dict) -> list[str]:
    runs, w = _runs_by_clients(hold), _workload()
    lines = [
        "",
        "## Opening-day hold storm (bench/hold_storm.py)",
        "",
        f"{rate(w['UNITS'])} units, {rate(w['BUYERS'])} buyers ({w['CONSULTANTS']} consultants' tokens), up to "
        f"{w['ATTEMPTS_PER_BUYER']} Zipf(s={w['ZIPF_S']}) picks each until a 201; "
        f"inventory with {hold.get('workers')} worker process(es). Load generator: {hold.get('load_generator')}.",
        "",
    ]
    lines += table(
        [
            "clients",
            "attempts/s",
            "holds/s",
            "201 p50/p95/p99 ms",
            "409 p50/p95/p99 ms",
            "5xx",
            "double holds",
            "events per 201",
        ],
        [
            [
                str(c),
                rate(r["attempts_per_s"]),
                rate(r["holds_per_s"]),
                f"{ms(r['p50_ms'])} / {ms(r['p95_ms'])} / {ms(r['p99_ms'])}",
                f"{ms(r['p50_ms_409'])} / {ms(r['p95_ms_409'])} / {ms(r['p99_ms_409'])}",
                rate(r["errors_5xx"]),
                rate(r["double_holds"]),
                cpu_ms(r["events_per_201"]),
            ]
            for c, r in runs
        ],
    )
    lines += ["", "CPU per attempt (ms) and share of the machine's cores during the storm:", ""]
    rows = []
    for c, r in runs:
        cpu = r.get("cpu_ms_per_attempt", {})
        total = sum((dec(v) for v in cpu.values()), Decimal(0)) if cpu else None
        rows.append(
            [
                str(c),
                cpu_ms(cpu.get("service")),
                cpu_ms(cpu.get("postgresql")),
                cpu_ms(cpu.get("load_generator")),
                cpu_ms(total),
                pct(_share(r)),
            ]
        )
    lines += table(["clients", "service", "PostgreSQL", "load generator", "all three", "share used (all three)"], rows)
    ceiling = hold.get("ceiling", {})
    by_clients = sorted((int(c), tps) for c, tps in ceiling.get("pgbench_tps_by_clients", {}).items())
    lines += [
        "",
        "Ceiling: pgbench running the hold path's SQL (conditional update + hold + history + outbox insert "
        "with its key lock) on the same server, by client count:",
        "",
    ]
    lines += table(
        ["pgbench clients", "tps"],
        [[str(c), rate(tps) + (" (best)" if c == ceiling.get("best_clients") else "")] for c, tps in by_clients],
    )
    top = runs[0][0] if runs else NONE
    lines += [
        "",
        f"**ratio = {ratio(hold['ratio'])}** (attempts/s at {top} clients ÷ best pgbench tps, "
        f"{rate(hold['attempts_per_s'])} ÷ {rate(hold['ceiling_tps'])}).",
    ]
    return lines


def _pipeline(pipe: dict) -> list[str]:
    lines = [
        "",
        "## Event pipeline (bench/pipeline.py)",
        "",
        "Commit → outbox → relay → Tansu → consumer (batched inbox) → applied in the consumer's database. The rates "
        "commit one event per transaction; max is a preloaded backlog drained by the relay (record batches) and the "
        "consumer (a batch in one statement per table), timed from its first publish to its last apply, the shape "
        "of the ceiling's figure (first produce to last consume).",
        "",
    ]
    lines += table(
        ["run", "events", "events/s", "p50 ms", "p99 ms"],
        [
            [name, rate(r["events"]), rate(r["events_per_s"]), ms(r["p50_ms"]), ms(r["p99_ms"])]
            for name, r in pipe.get("runs", {}).items()
        ],
    )
    lines += [
        "",
        f"Ceiling: raw aiokafka produce → consume on the same broker, {rate(pipe['ceiling_events_per_s'])} "
        f"messages/s. **ratio = {ratio(pipe['ratio'])}** (max events/s ÷ ceiling).",
    ]
    return lines


def _targets(hold: dict, pipe: dict, targets: dict, idle: dict, scaled: tuple[dict, dict] = ({}, {})) -> list[str]:
    rows = []
    if hold:
        runs = _runs_by_clients(hold)
        low = runs[-1]
        errors = sum(r["errors_5xx"] for _, r in runs)
        doubles = sum(r["double_holds"] for _, r in runs)
        per_201 = [r["events_per_201"] for _, r in runs]
        want = targets["hold_events_per_201"]
        rows += [
            [
                f"{at_most('5xx', targets['hold_errors_5xx_max'])} (all client counts)",
                rate(errors),
                verdict(errors <= targets["hold_errors_5xx_max"]),
            ],
            [
                f"{at_most('double holds', targets['hold_double_holds_max'])} (all client counts)",
                rate(doubles),
                verdict(doubles <= targets["hold_double_holds_max"]),
            ],
            [
                f"unit-locked events per 201 = {cpu_ms(want)} (each client count)",
                " / ".join(cpu_ms(x) for x in per_201),
                verdict(all(x == want for x in per_201)),
            ],
            [
                f"hold-storm ratio ≥ {ratio(targets['hold_ratio_min'])}",
                ratio(hold["ratio"]),
                verdict(hold["ratio"] >= targets["hold_ratio_min"]),
            ],
            [
                f"201 p99 < {ms(targets['hold_p99_201_ms_at_64_below'])} ms at {low[0]} clients",
                f"{ms(hold['p99_ms_at_64'])} ms (201 p50 {ms(low[1]['p50_ms'])} ms)",
                verdict(hold["p99_ms_at_64"] < targets["hold_p99_201_ms_at_64_below"]),
            ],
        ]

        rows += cpu_target(hold, targets)
    if pipe:
        top, p99 = pipe["max_events_per_s"], pipe["p99_ms_at_1000"]
        floor, ceiling = targets["pipeline_max_events_per_s_min"], targets["pipeline_p99_ms_at_1000_below"]
        rows.append([f"pipeline ≥ {rate(floor)} events/s", rate(top), verdict(top >= floor)])
        least = targets["pipeline_ratio_min"]
        rows.append(
            [f"pipeline ratio to raw aiokafka ≥ {ratio(least)}", ratio(pipe["ratio"]), verdict(pipe["ratio"] >= least)]
        )
        rows.append([f"pipeline p99 < {ms(ceiling)} ms at 1,000 events/s", f"{ms(p99)} ms", verdict(p99 < ceiling)])
    if idle:
        rows += idle_targets(idle, targets)
    rows += scale_targets(*scaled, targets)
    return [
        "",
        "## Targets (bench/results/targets.json) against the last run",
        "",
        *table(["target", "last run", "verdict"], rows),
    ]


def _history(history: list[dict], hold: dict, pipe: dict) -> list[str]:
    rows = [
        [
            h["change"],
            rate(h["hold_attempts_per_s"]),
            ratio(h["ratio"]),
            ms(h["p99_201_ms_64"]),
            rate(h["pipeline_max_events_per_s"]),
            ms(h["p99_ms_at_1000"]),
        ]
        for h in history
    ]
    if hold or pipe:
        rows.append(
            [
                f"last run (the tables above; {hold.get('workers', NONE)} worker(s))",
                rate(hold.get("attempts_per_s")),
                ratio(hold.get("ratio")),
                ms(hold.get("p99_ms_at_64")),
                rate(pipe.get("max_events_per_s")),
                ms(pipe.get("p99_ms_at_1000")),
            ]
        )
    return [
        "",
        "## Before and after",
        "",
        "Earlier runs on the same machine, one change at a time (bench/results/history.json); the last row is the "
        "run above.",
        "",
        *table(
            [
                "change",
                "hold storm attempts/s (most clients)",
                "ratio",
                "201 p99 ms at 64 clients",
                "pipeline max events/s",
                "p99 ms at 1,000 events/s",
            ],
            rows,
        ),
    ]


def render(results: Path = RESULTS) -> str:
    """The text of docs/benchmarks.md from the results files alone (no benchmark, no probing)."""
    hold, pipe = _load(results, "hold_storm.json"), _load(results, "pipeline.json")
    machine, targets = _load(results, "machine.json"), _load(results, "targets.json")
    history, profile = _load(results, "history.json") or [], _load(results, "profile.json")
    lines = [
        "# Benchmarks",
        "",
        "Rendered by bench/report.py from bench/results/*.json; do not edit by hand. `make bench` reruns the "
        "benchmarks and rewrites the results and this file; `python -m bench.report` re-renders it from the "
        "committed results.",
    ]
    if machine:
        lines += _machine(machine)
    if hold:
        lines += _hold(hold)
    if pipe:
        lines += _pipeline(pipe)
    if opening := _load(results, "opening_day.json"):
        lines += opening_day(opening)
    if left := _load(results, "departure.json"):
        lines += departure(left)
    idle = _load(results, "idle.json")
    if idle:
        lines += idle_section(idle)
    if reports := _load(results, "reports.json"):
        lines += group_reports(reports, targets)
    scaled, out = _load(results, "scale.json"), _load(results, "scale_out.json")
    if scaled:
        lines += scale_section(scaled, _load(results, "scale_before.json"), targets)
    if out:
        lines += scale_out_section(out)
    if targets and (hold or pipe or idle):
        lines += _targets(hold, pipe, targets, idle, (scaled, out))
    if hold:
        lines += levers(hold, profile)
    if history or hold or pipe:
        lines += _history(history, hold, pipe)
    return "\n".join(lines) + "\n"


def write_report() -> None:
    DOC.write_text(render(), encoding="utf-8")


if __name__ == "__main__":
    write_report()
