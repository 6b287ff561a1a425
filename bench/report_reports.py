"""The group's reports section of docs/benchmarks.md (issue 22), rendered from bench/results/reports.json only."""

from __future__ import annotations

from typing import Any

from bench.formatting import NONE, cpu_ms, ms, rate, table, verdict


def group_reports(result: dict[str, Any], targets: dict[str, Any]) -> list[str]:
    """Each report's latency at a group's year of buckets, against the 1 s a report may take, and what keeping
    the buckets costs per event."""
    below = targets.get("report_p99_ms_below")
    lines = [
        "",
        "## The group's reports (bench/reports.py)",
        "",
        f"{rate(result.get('projects'))} projects under one org unit, {rate(result.get('days'))} days of buckets for "
        f"{rate(result.get('consultants_per_project'))} consultants each ({rate(result.get('buckets'))} buckets); "
        f"each report asked {rate(result.get('asks_per_report'))} times in a row over HTTP by a group manager "
        "over the whole group, leads with one worker process.",
        "",
    ]
    rows = [
        [name, ms(r.get("p50_ms")), ms(r.get("p99_ms")), ms(r.get("max_ms")), rate(r.get("bytes")), _met(r, below)]
        for name, r in result.get("reports", {}).items()
    ]
    target = f"p99 < {rate(below)} ms" if below else "target"
    lines += table(["report", "p50 ms", "p99 ms", "max ms", "bytes", target], rows)
    update = result.get("bucket_update", {})
    lines += [
        "",
        "Keeping the figures, per event (its journal row, the key-visitor check, the project's local day, the "
        "bucket and the funnel), measured on leads' database:",
        "",
    ]
    lines += table(
        ["events", "own transaction p50 ms", "own transaction p99 ms", "in a batch of", "per event in a batch ms"],
        [
            [
                rate(update.get("events")),
                cpu_ms(update.get("one_per_transaction_p50_ms")),
                cpu_ms(update.get("one_per_transaction_p99_ms")),
                rate(update.get("in_batches_of")),
                cpu_ms(update.get("per_event_in_a_batch_ms")),
            ]
        ],
    )
    return lines


def _met(report: dict[str, Any], below: Any) -> str:
    p99 = report.get("p99_ms")
    return NONE if below is None or p99 is None else verdict(p99 < below)
