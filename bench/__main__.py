"""`make bench`: the hold storm and the event pipeline, each beside this machine's ceiling, the hold path's levers
one by one with a profile (issue 13), opening day with 1,000 board screens watching (issue 25), a consultant with
5,000 customers leaving a project (issue 21), the group's reports at 50 projects × 365 days (issue 22) and a group's
scale with three consumer replicas, one killed (issue 23) (`python -m bench levers`, `python -m bench scale`, … runs
one part)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

from bench import departure, hold_storm, idle, levers, opening_day, pipeline, reports, scale, scale_out
from bench.infra import infrastructure, machine
from bench.report import write_report

RESULTS = Path(__file__).parent / "results"
PARTS = ("idle", "hold_storm", "levers", "pipeline", "opening_day", "departure", "reports", "scale", "scale_out")


def main(argv: list[str]) -> None:
    which = set(argv) or set(PARTS)
    RESULTS.mkdir(exist_ok=True)
    if "idle" in which:  # issue 27: first, on a machine nothing else of the bench is using
        result = idle.run(Path(tempfile.mkdtemp(prefix="estate-bench-idle-")))
        _write("idle.json", result)
        print(json.dumps(result, indent=2))
    workers = int(os.environ.get("ESTATE_BENCH_WORKERS", "1"))  # one process does best on 2 shared cores (levers)
    with infrastructure() as settings:
        if "hold_storm" in which:
            result = asyncio.run(hold_storm.run(settings, workers, Path(tempfile.mkdtemp(prefix="estate-bench-logs-"))))
            _write("hold_storm.json", result)
            print(json.dumps({k: v for k, v in result.items() if k not in ("runs", "ceiling")}, indent=2))
        if "levers" in which:  # issue 13: each lever of the hold path, and where the service's CPU goes now
            logs = Path(tempfile.mkdtemp(prefix="estate-bench-logs-"))
            hold = json.loads((RESULTS / "hold_storm.json").read_text())
            _write("hold_storm.json", hold | {"levers": levers.measure_levers(settings, logs)})
            _write("profile.json", levers.profile(settings, logs))
        if "opening_day" in which:
            logs = Path(tempfile.mkdtemp(prefix="estate-bench-logs-"))
            result = asyncio.run(opening_day.run(settings, workers, logs))
            (RESULTS / "opening_day.json").write_text(json.dumps(result, indent=2) + "\n")
            print(
                json.dumps(
                    {
                        k: v.get("push", v.get("attempts_per_s")) if isinstance(v, dict) else v
                        for k, v in result.items()
                    },
                    indent=2,
                )
            )
        if "reports" in which:  # issue 22: each report at a group's year of buckets, and a bucket update's cost
            result = asyncio.run(reports.run(settings, Path(tempfile.mkdtemp(prefix="estate-bench-logs-"))))
            _write("reports.json", result)
            print(json.dumps(result, indent=2))
        if "pipeline" in which:
            result = asyncio.run(pipeline.run(settings))
            (RESULTS / "pipeline.json").write_text(json.dumps(result, indent=2) + "\n")
            print(json.dumps({k: v for k, v in result.items() if k != "runs"}, indent=2))
        if "departure" in which:  # issue 21
            result = asyncio.run(departure.run(settings, Path(tempfile.mkdtemp(prefix="estate-bench-logs-"))))
            _write("departure.json", result)
        if "scale" in which:  # issue 23: a group of 20 projects, one grown to 1,000, 10,000 and 100,000 customers
            result = asyncio.run(scale.run(settings))
            _write("scale.json", result)
            print(json.dumps(result["growth_p50"], indent=2))
        if "scale_out" in which:  # issue 23: three consumer replicas, one killed and replaced mid-stream
            result = asyncio.run(scale_out.run(settings))
            _write("scale_out.json", result)
            print(json.dumps(result, indent=2))
    # The machine table is a results file too, so the report renders without probing (bench/report.py render).
    (RESULTS / "machine.json").write_text(json.dumps(machine(), indent=2) + "\n")
    write_report()


def _write(name: str, result: dict) -> None:
    (RESULTS / name).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
