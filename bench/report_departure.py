"""The departure section of docs/benchmarks.md (issue 21), rendered from bench/results/departure.json only."""

from __future__ import annotations

from typing import Any

from bench.formatting import NONE, cpu_ms, ms, rate, table


def departure(result: dict[str, Any]) -> list[str]:
    """A 5,000-customer book handed on in one call, beside the same move one request per customer."""
    heirs = result.get("to", {})
    one = result.get("one_by_one", {})
    per_customer = result["departure_ms"] / result["moved"] if result.get("moved") else None
    lines = [
        "",
        "## A consultant leaves (bench/departure.py)",
        "",
        f"A book of {rate(result.get('customers'))} customers ({rate(result.get('callbacks'))} with a scheduled "
        f"call-back) seeded through `POST /v1/customers` in {ms(result.get('seed_s'))} s; one "
        f"`POST …/staff/{{id}}/departure` deals it out to the {result.get('heirs')} recently active colleagues "
        f"({' / '.join(rate(n) for n in heirs.values()) or NONE} customers each). Timed from the request to the "
        "answer, and to the last of its events published by the relay.",
        "",
    ]
    header = ["customers moved", "departure ms", "ms per customer", "all events published ms"]
    header += ["second call ms (moved)"]
    row = [
        rate(result.get("moved")),
        ms(result.get("departure_ms")),
        cpu_ms(per_customer),
        ms(result.get("published_ms")),
        f"{ms(result.get('second_call_ms'))} ({rate(result.get('second_call_moved'))})",
    ]
    lines += table(header, [row])
    lines += [
        "",
        f"The same move one request per customer (`POST /v1/customers/{{id}}/assign`, {rate(one.get('customers'))} "
        f"customers in sequence): {ms(one.get('ms'))} ms, {cpu_ms(one.get('ms_per_customer'))} ms per customer.",
    ]
    return lines
