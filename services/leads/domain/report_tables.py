"""The group's reports as tables (issue 22): what a CSV or an Excel workbook of a report holds, made from the very
answer the JSON gives (so the files carry the same figures). A workbook has one sheet per table; a CSV, being one
table, has them one after another, told apart by their first column. Pure: the cells are `shared.http.exports`'."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from services.leads.domain.reports import DEAL_METRICS, FUNNEL_STAGES, METRIC_COLUMNS, METRIC_NAMES, TARGETS

__all__ = ["Table", "csv_rows", "funnel_tables", "league_tables", "period_tables"]

_MONEY_OR_AREA = frozenset(c for c in METRIC_COLUMNS if c.endswith(("_area_m2", "_amount"))) | {"collected", "refunded"}
TARGET_COLUMNS = tuple(f"target_{name}" for name in TARGETS) + tuple(f"completion_{name}" for name in TARGETS)


@dataclass(frozen=True)
class Table:
    """One sheet: its name, its columns and one row of cells per line (numbers stay numbers)."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]

    def money_columns(self) -> frozenset[int]:
        """Which columns hold money or areas (two places in a workbook)."""
        return frozenset(i for i, c in enumerate(self.columns) if c in _MONEY_OR_AREA or c.startswith("target_"))


def flat_metrics(line: Mapping[str, Any]) -> tuple[Any, ...]:
    """The metrics of one line of an answer, flat in `METRIC_COLUMNS` order, amounts and areas as Decimals."""
    out: list[Any] = []
    for name in METRIC_NAMES:
        value = line[name]
        if name in DEAL_METRICS:
            out += [value["count"], Decimal(value["area_m2"]), Decimal(value["amount"])]
        else:
            out.append(Decimal(value) if isinstance(value, str) else value)
    return tuple(out)


def _targets(line: Mapping[str, Any]) -> tuple[Any, ...]:
    targets, done = line.get("targets") or {}, line.get("completion") or {}
    return tuple(_decimal(targets.get(n)) for n in TARGETS) + tuple(done.get(n) for n in TARGETS)


def period_tables(answer: Mapping[str, Any], period: str) -> list[Table]:
    """A daily or monthly report: the totals, each project, and (for one project) each consultant; a month's
    lines also carry its targets and their completion."""
    monthly = period == "month"
    extra = TARGET_COLUMNS if monthly else ()
    top = answer if monthly else {}
    tables = [
        Table("totals", (period, "projects", *METRIC_COLUMNS, *extra), [_total_row(answer, period, top, monthly)]),
        Table(
            "projects",
            (period, "project_id", "code", "name", *METRIC_COLUMNS, *extra),
            [
                (answer[period], p["project_id"], p["code"], p["name"], *flat_metrics(p))
                + (_targets(p) if monthly else ())
                for p in answer["projects"]
            ],
        ),
    ]
    consultants = [(p["project_id"], c) for p in answer["projects"] for c in p.get("consultants", ())]
    if len(answer["projects"]) == 1 and "consultants" in answer["projects"][0]:
        columns = (period, "project_id", "consultant_id", "consultant_name", *METRIC_COLUMNS)
        rows = [(answer[period], pid, c["consultant_id"], c["name"], *flat_metrics(c)) for pid, c in consultants]
        tables.append(Table("consultants", columns, rows))
    return tables


def _total_row(answer: Mapping[str, Any], period: str, top: Mapping[str, Any], monthly: bool) -> tuple[Any, ...]:
    row = (answer[period], len(answer["projects"]), *flat_metrics(answer["totals"]))
    return row + (_targets(top) if monthly else ())


def funnel_tables(answer: Mapping[str, Any]) -> list[Table]:
    """The funnel: its stages for the whole scope, then for each project."""
    stages = tuple(c for stage in FUNNEL_STAGES for c in (stage, f"{stage}_rate"))
    span = (answer["from"], answer["to"])
    total = Table("totals", ("from", "to", "registered", *stages), [(*span, answer["registered"], *_stages(answer))])
    rows = [(*span, p["project_id"], p["code"], p["name"], p["registered"], *_stages(p)) for p in answer["projects"]]
    return [total, Table("projects", ("from", "to", "project_id", "code", "name", "registered", *stages), rows)]


def _stages(line: Mapping[str, Any]) -> Iterable[Any]:
    for stage in FUNNEL_STAGES:
        yield from (line[stage]["count"], line[stage]["rate"])


def league_tables(answer: Sequence[Mapping[str, Any]]) -> list[Table]:
    """The consultants' league of a month, in its order."""
    columns = ("rank", "consultant_id", "name", "project_id", *METRIC_COLUMNS)
    rows = [(r["rank"], r["consultant_id"], r["name"], r["project_id"], *flat_metrics(r)) for r in answer]
    return [Table("league", columns, rows)]


def csv_rows(tables: Sequence[Table]) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """The tables as one CSV: a first column `table` naming each line's table, then every column any table has
    (in the order they first come); a column a table lacks is empty on its lines."""
    columns: list[str] = []
    for table in tables:
        columns += [c for c in table.columns if c not in columns]
    header = ("table", *columns)
    rows = []
    for table in tables:
        where = {c: i for i, c in enumerate(table.columns)}
        rows += [(table.name, *(row[where[c]] if c in where else None for c in columns)) for row in table.rows]
    return header, rows


def _decimal(value: Any) -> Any:
    return Decimal(value) if isinstance(value, str) else value
