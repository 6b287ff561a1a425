"""The scale part of docs/benchmarks.md (issue 23): every list, report and periodic job of a group as one project
grows, the same before the change where measured, and three consumer replicas with one killed."""

from __future__ import annotations

from typing import Any

from bench.formatting import NONE, ms, rate, table, verdict


def _listed(sizes: list[str]) -> str:
    return ", ".join(rate(int(s)) for s in sizes)


def _sizes(result: dict[str, Any]) -> list[str]:
    return [str(size) for size in result.get("sizes", [])]


def _p(result: dict[str, Any], size: str, name: str, which: str) -> float | None:
    return result["by_size"].get(size, {}).get("endpoints", {}).get(name, {}).get(which)


def _growth(result: dict[str, Any], name: str, which: str = "p50_ms") -> float | None:
    """How many times longer at the largest size than at the smallest (p50, as issue 23's table measured it)."""
    sizes = _sizes(result)
    low, high = _p(result, sizes[0], name, which), _p(result, sizes[-1], name, which)
    return round(high / low, 2) if low and high else None


def _endpoint_rows(result: dict[str, Any], wanted: dict[str, Any]) -> list[list[str]]:
    sizes, below, most = _sizes(result), wanted["scale_list_p95_ms_below"], wanted["scale_growth_max"]
    rows = []
    for name in result["by_size"][sizes[0]]["endpoints"]:
        figures = [f"{ms(_p(result, s, name, 'p50_ms'))} / {ms(_p(result, s, name, 'p95_ms'))}" for s in sizes]
        growth, top = _growth(result, name), _p(result, sizes[-1], name, "p95_ms")
        met = top is not None and top < below and growth is not None and growth <= most
        shown = f"×{growth} / ×{_growth(result, name, 'p95_ms')}" if growth is not None else NONE
        rows.append([name, *figures, shown, _answer(result, sizes, name), verdict(met)])
    return rows


def _answer(result: dict[str, Any], sizes: list[str], name: str) -> str:
    """The answer's size at each size (items of a list or page, the board's units, the review's consultants)."""
    counts = [_p(result, s, name, "items") for s in sizes]
    return " → ".join(rate(int(c)) for c in counts) if None not in counts else NONE


def _job_rows(result: dict[str, Any], wanted: dict[str, Any]) -> list[list[str]]:
    sizes, limit = _sizes(result), wanted["scale_job_ms_max"]
    rows = []
    for name in result["by_size"][sizes[0]]["jobs"]:
        runs = [result["by_size"][s]["jobs"][name] for s in sizes]
        cells = [f"{ms(run['ms'])} ({rate(run['rows'])})" for run in runs]
        rows.append([name, *cells, verdict(all(run["ms"] <= limit for run in runs))])
    return rows


def scale(result: dict[str, Any], before: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    """The section: lists and reports by size with growth, jobs by size, and the figures before where measured."""
    sizes = _sizes(result)
    heads = [f"p50 / p95 ms at {rate(int(s))}" for s in sizes]
    lines = [
        "",
        "## A group as it grows (bench/scale.py)",
        "",
        f"A group of {result['group_projects']} projects: {result['group_projects'] - 1} of "
        f"{rate(result['other_projects_customers'])} customers each and one grown to {_listed(sizes)} "
        "customers in one run, with follow-ups, calls, call-backs, claims, referrals, units, holds, sales, deposits, "
        "reminders and notifications (tests/support/seeding.py: the services' rows, sealed with the run's key; "
        f"seeding took {rate(result['seeding_seconds'])} s). The four services as `estate serve` runs them; each "
        f"endpoint asked {result['repeats']} times at each size, one request at a time, as the growing project's "
        "manager (or one of its consultants). Growth is the largest size's figure ÷ the smallest's; the target takes "
        "p50's (issue 23 measured p50) and p95 at the largest size. The answer's size at each size (a list's items, "
        "at most a page of 100; the board's units; the weekly review's consultants) is what its cost may follow: "
        "where the answer itself grows, so may its time. The board is every unit of the project by design (a big "
        "screen starts from it, then follows the stream), so it is not paged: its cost follows the project's units "
        "(2,000 in every project of the seeding, at every size: a project is built before it sells, with "
        "2,000–10,000), not its customers.",
        "",
        *table(
            ["list or report", *heads, "growth p50 / p95", "answer's size", "target"], _endpoint_rows(result, wanted)
        ),
        "",
        "Each periodic job's pass at each size, ms (and the rows it acted on, the figure its cost follows: overdue "
        "rows counted for the digest, rows sealed, deals passed, reminders sent; 0 is a pass that found nothing to "
        "do and read nothing but its index). Rolled back after timing, so each size times the same work.",
        "",
        *table(
            ["job", *[f"at {rate(int(s))}" for s in sizes], f"≤ {rate(wanted['scale_job_ms_max'])} ms"],
            _job_rows(result, wanted),
        ),
    ]
    return lines + (_before(result, before) if before else [])


def _before(result: dict[str, Any], before: dict[str, Any]) -> list[str]:
    """The same bench on the code before issue 23 (bench/results/scale_before.json), at the sizes it could run."""
    sizes = [s for s in _sizes(before) if s in _sizes(result)]
    heads = [f"{which} p50 ms at {rate(int(s))}" for s in sizes for which in ("before", "after")]
    rows = [
        [name, *[ms(_p(r, s, name, "p50_ms")) for s in sizes for r in (before, result)]]
        for name in before["by_size"][sizes[0]]["endpoints"]
    ]
    jobs = [
        [name, *[ms(r["by_size"][s]["jobs"].get(name, {}).get("ms")) for s in sizes for r in (before, result)]]
        for name in before["by_size"][sizes[0]]["jobs"]
    ]
    return [
        "",
        f"Before and after, the same bench on the code before this change ({before.get('note', 'an earlier run')}):",
        "",
        *table(["list, report or job", *heads], rows + jobs),
    ]


def scale_out(result: dict[str, Any]) -> list[str]:
    """Three consumer replicas sharing a topic's partitions, one killed with SIGKILL and another started."""
    return [
        "",
        "## Three consumer replicas, one killed (bench/scale_out.py)",
        "",
        f"{rate(result['events'])} events over {rate(result['keys'])} keys written while {result['replicas']} replicas "
        "of one service (`estate consume`, group `estate.<service>`) share the topic's partitions; after "
        f"{rate(result['killed_after_applied'])} were applied one replica got SIGKILL and another was started. "
        f"All applied after {rate(result['seconds'])} s. The checker over the applied rows: "
        f"**{rate(result['lost'])} lost, {rate(result['applied_twice'])} applied twice, "
        f"{rate(result['keys_out_of_order'])} keys out of order**.",
    ]


def targets(result: dict[str, Any], out: dict[str, Any], wanted: dict[str, Any]) -> list[list[str]]:
    """The scale rows of the targets table."""
    rows = []
    if result:
        sizes = _sizes(result)
        names = list(result["by_size"][sizes[0]]["endpoints"])
        fast = [n for n in names if (_p(result, sizes[-1], n, "p95_ms") or 1e9) < wanted["scale_list_p95_ms_below"]]
        flat = [n for n in names if (_growth(result, n) or 1e9) <= wanted["scale_growth_max"]]
        jobs = [run for s in sizes for run in result["by_size"][s]["jobs"].values()]
        slow = max((run["ms"] for run in jobs), default=0)
        rows += [
            [f"every list and report p95 < {ms(wanted['scale_list_p95_ms_below'])} ms at {rate(int(sizes[-1]))} "
             "customers", f"{len(fast)} of {len(names)}", verdict(len(fast) == len(names))],
            [f"every list and report's growth (p50) ≤ ×{wanted['scale_growth_max']} from {rate(int(sizes[0]))}",
             f"{len(flat)} of {len(names)}", verdict(len(flat) == len(names))],
            [f"every periodic job's pass ≤ {rate(wanted['scale_job_ms_max'])} ms", f"slowest {ms(slow)} ms",
             verdict(slow <= wanted["scale_job_ms_max"])],
        ]  # fmt: skip
    if out:
        bad = out["lost"] + out["applied_twice"] + out["keys_out_of_order"]
        rows.append(["3 replicas, one killed: none lost, twice or out of order", rate(bad), verdict(bad == 0)])
    return rows
