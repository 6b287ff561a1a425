"""The idle part of docs/benchmarks.md (issue 27): `make run` at rest, and a hold's way to the timeline."""

from __future__ import annotations

from typing import Any

from bench.formatting import ms, rate, table, verdict

ORDER = ("broker", "postgresql", "leads", "inventory", "payments", "notifications", "supervisor")


def idle(result: dict[str, Any]) -> list[str]:
    """The section: cores, memory and broker connections per process at rest; the delay to the timeline."""
    rest, delay = result["rest"], result["delay"]
    rows = [
        [
            name,
            f"{rest['cores'].get(name, 0):.4f}",
            f"{rest['rss_mib'].get(name, 0):.0f}",
            str(rest["broker_connections"].get(name, "—")),
        ]
        for name in ORDER
        if name in rest["cores"]
    ]
    rows.append(["**all of `make run`**", f"**{rest['cores_total']:.4f}**", f"{sum(rest['rss_mib'].values()):.0f}", ""])
    return [
        "",
        "## At rest (`python -m bench idle`)",
        "",
        f"`estate up` as `make run` starts it, a project with 30 units and 3 customers made through the API, then "
        f"nothing for {rate(rest['seconds'])} s: the CPU of every process below `estate up` (user + system, "
        "PostgreSQL's backends included), its resident memory, and each service's TCP connections to the broker.",
        "",
        *table(["process", "cores", "RSS MiB", "broker connections"], rows),
        "",
        f"Then {delay['holds']} holds, one every 0.7 s, each followed from its 201 to the hold on the customer's "
        f"timeline in leads: p50 **{ms(delay['p50_ms'])} ms**, max {ms(delay['max_ms'])} ms.",
    ]


def targets(result: dict[str, Any], wanted: dict[str, Any]) -> list[list[str]]:
    """The idle rows of the targets table."""
    cores, delay = result["rest"]["cores_total"], result["delay"]
    top, p50, worst = wanted["idle_cores_max"], wanted["idle_delay_p50_ms_max"], wanted["idle_delay_max_ms_max"]
    p50_now, max_now = delay["p50_ms"], delay["max_ms"]
    return [
        [f"`make run` at rest ≤ {top} core", f"{cores:.4f}", verdict(cores <= top)],
        [f"201 → timeline at rest: p50 ≤ {ms(p50)} ms", f"{ms(p50_now)} ms", verdict(p50_now <= p50)],
        [f"201 → timeline at rest: max ≤ {ms(worst)} ms", f"{ms(max_now)} ms", verdict(max_now <= worst)],
    ]
