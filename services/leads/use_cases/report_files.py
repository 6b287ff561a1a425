"""The group's reports as files (issue 22): the very answer the JSON gives, as one CSV (its tables one after
another, told apart by their first column) or an Excel workbook (one sheet per table), every cell through the one
export rule — numbers stay numbers, and no text (a consultant's or a project's name is someone's input) is ever a
formula a spreadsheet would run."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from services.leads.domain import Table, csv_rows, funnel_tables, league_tables, period_tables
from shared.http.exports import CSV, Sheet, csv_text, xlsx_bytes

TABLES: dict[str, Callable[[Any], list[Table]]] = {
    "daily": lambda answer: period_tables(answer, "date"),
    "monthly": lambda answer: period_tables(answer, "month"),
    "funnel": funnel_tables,
    "consultants": league_tables,
}


def report_file(report: str, answer: Any, media: str) -> bytes:
    """The report as the file `media` names (CSV or the Excel type)."""
    tables = TABLES[report](answer)
    if media == CSV:
        header, rows = csv_rows(tables)
        return csv_text(header, rows).encode("utf-8")
    return xlsx_bytes([Sheet(t.name, t.columns, t.rows, t.money_columns()) for t in tables])
