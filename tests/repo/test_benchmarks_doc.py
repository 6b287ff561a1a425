"""docs/benchmarks.md is what bench/report.py renders from bench/results: no hand edits, no figures of its own."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from bench.report import DOC, RESULTS, render

ROOT = Path(__file__).resolve().parents[2]
HISTORY_FIELDS = {
    "change",
    "hold_attempts_per_s",
    "ratio",
    "p99_201_ms_64",
    "pipeline_max_events_per_s",
    "p99_ms_at_1000",
}


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A copy of bench/results for a test to change."""
    shutil.copytree(RESULTS, tmp_path / "results")
    return tmp_path / "results"


def load(results: Path, name: str) -> Any:
    return json.loads((results / f"{name}.json").read_text())


def rendered(results: Path, **changed: Any) -> str:
    """The document rendered from `results` with the files named by `changed` (without `.json`) replaced."""
    for name, data in changed.items():
        (results / f"{name}.json").write_text(json.dumps(data))
    return render(results)


def missing(text: str, *lines: str) -> list[str]:
    """Which of `lines` the document lacks."""
    return [line for line in lines if line not in text]


def test_benchmarks_doc_is_rendered_from_the_results_files() -> None:
    assert DOC.read_text(encoding="utf-8") == render(RESULTS), (
        "docs/benchmarks.md differs from bench/report.py's rendering of bench/results: "
        "run `python -m bench.report` and commit the result"
    )


def test_benchmarks_doc_prints_no_python_reprs() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "{'" not in text and '{"' not in text


def test_the_figures_follow_the_results(results: Path) -> None:
    """Change one result and the document's figures change with it, prose and targets included."""
    pipe = load(results, "pipeline")
    pipe["max_events_per_s"], pipe["p99_ms_at_1000"] = 1234.4, 321.06
    hold = load(results, "hold_storm")
    hold["runs"]["200"]["cpu_ms_per_attempt"]["service"] = 0.123
    hold["attempts_per_s"], hold["ratio"], hold["p99_ms_at_64"] = 2835.2, 0.1524, 134.46
    lever = {"lever": "granian", "change": "under granian", "server": "granian", "workers": 1, "clients": 64}
    lever |= {"attempts_per_s": 4321.4, "p99_ms": 45.66, "p99_ms_409": 12.0, "errors_5xx": 0, "double_holds": 0}
    lever |= {"events_per_201": 1.0, "cpu_ms_per_attempt": {"service": 0.1449, "postgresql": 0.07}}
    hold["levers"], hold["ceiling_tps"] = [lever], 5000
    text = rendered(results, pipeline=pipe, hold_storm=hold)
    assert not missing(
        text,
        "| pipeline ≥ 10,000 events/s | 1,234 | **not met** |",
        "| pipeline p99 < 50.0 ms at 1,000 events/s | 321.1 ms | **not met** |",
        "| service CPU ≤ 0.15 ms per attempt | 0.12 (200 clients) / ",
        "| under granian (granian, 1 worker) | 4,321 | 0.864 | 45.7 | 12.0 | 0.14 | 0.07 | 0 / 0 / 1.00 |",
        "| last run (the tables above; 1 worker(s)) | 2,835 | 0.152 | 134.5 | 1,234 | 321.1 |",
    )


def test_history_is_a_results_file_with_the_table_columns() -> None:
    assert not (ROOT / "bench" / "history.md").exists()
    history = json.loads((RESULTS / "history.json").read_text())
    assert history and all(set(row) == HISTORY_FIELDS for row in history)


def test_the_departure_figures_follow_their_results_file(results: Path) -> None:
    """Issue 21: the 5,000-customer departure's section is rendered from bench/results/departure.json alone."""
    left = load(results, "departure")
    left |= {"departure_ms": 2500.04, "moved": 5000, "published_ms": 3000.06, "second_call_ms": 7.25}
    assert "| 5,000 | 2,500.0 | 0.50 | 3,000.1 | 7.3 (0) |" in rendered(results, departure=left)


def test_operations_guide_quotes_no_benchmark_figure() -> None:
    text = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert "docs/benchmarks.md" in text
    assert not re.search(r"\d[\d,.]*\s*(hold )?(attempts|events)/s", text)


def test_the_profile_is_summed_by_the_library_of_the_innermost_frame() -> None:
    from bench.levers import summarize

    raw = "\n".join(
        [
            "run (asyncio/runners.py:118);_serve (shared/hot.py:90) 3",
            "run (asyncio/runners.py:118);fetch (asyncpg/connection.py:690) 5",
            "run (asyncio/runners.py:118) 1",
            "x (/usr/lib/python3/site-packages/uvicorn/protocols/http/httptools_impl.py:524) 1",
            "garbage",
        ]
    )
    assert summarize(raw) == {
        "samples": 10,
        "share_by_part": {
            "asyncpg (queries, pool)": 0.5,
            "our code (shared/, services/)": 0.3,
            "asyncio and the event loop (uvloop's C code shows as asyncio's run)": 0.1,
            "uvicorn (HTTP protocol)": 0.1,
        },
    }


def test_the_opening_day_section_follows_its_results(results: Path) -> None:
    """Issue 25: the storm alone and with 1,000 and 200 screens; change the results and the figures and verdicts
    change with them."""
    opening = load(results, "opening_day")
    assert {"alone", "1000", "200", "targets", "rounds"} <= set(opening)
    opening["1000"]["ratio"], opening["1000"]["attempts_per_s"] = 0.8123, 4321.0
    opening["1000"]["push"] |= {"p99_ms": 1234.56, "missing": 3}
    assert not missing(
        rendered(results, opening_day=opening),
        "| storm + 1,000 screens | 4,321 | 0.812 |",
        "| storm + 1,000 screens: attempts/s ≥ 0.900 × alone | 0.812 | **not met** |",
        "| storm + 1,000 screens: p99 change → screen < 1,000.0 ms | 1,234.6 | **not met** |",
        "| storm + 1,000 screens: every change to every screen once | 3 missing, 0 twice | **not met** |",
    )


def test_the_scale_figures_follow_the_results(results: Path) -> None:
    """Issue 23: a list slower than its target at the largest size says so, in its row and in the targets."""
    scaled = load(results, "scale")
    endpoints = scaled["by_size"][str(scaled["sizes"][-1])]["endpoints"]
    fast = sum(1 for figures in endpoints.values() if figures["p95_ms"] < 100)
    first = next(iter(endpoints))
    assert endpoints[first]["p95_ms"] < 100, "the test slows down a list that meets its target"
    endpoints[first]["p95_ms"] = 1234.56
    text = rendered(results, scale=scaled)
    assert f"| {fast - 1} of {len(endpoints)} | **not met** |" in text
    assert next(line for line in text.splitlines() if line.startswith(f"| {first} |")).endswith("**not met** |")
