"""The cells of every export (issue 19): data, never a formula a spreadsheet would run (OWASP CSV injection).

`safe_cell` is the one rule. A number our own code produced (an `int`, a finite `Decimal` or `float`) stays a
number: written out it can only spell a numeric literal (`-5.00` is minus five to a spreadsheet), so it is never
quoted. Everything else is text (a `str` is text even when it looks like a number: it came from someone), and
text starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, which spreadsheets read as
"this cell is text" and hide. `None` is an empty cell.

`csv_text` writes a table with that rule. `xlsx_bytes` writes an Excel workbook (issues 22 and 24, XlsxWriter), one
sheet per table, where the type of a cell does the quote's work: our numbers are number cells (money and areas
shown with two places), and everything else is a text cell holding the text itself (`=1+1` stays the text `=1+1`,
exactly as the JSON has it) — never a formula cell. `export_type` reads which of the two (if either) a request's
`Accept` asks for."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeGuard

import xlsxwriter
from starlette.responses import Response
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

__all__ = [
    "CSV",
    "FORMULA_STARTS",
    "TEXT_MARK",
    "XLSX",
    "Number",
    "Sheet",
    "csv_text",
    "download",
    "export_type",
    "is_number",
    "numeral",
    "safe_cell",
    "safe_text",
    "xlsx_bytes",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula
TEXT_MARK = "'"  # a leading quote: the cell is text

Number = int | Decimal | float
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS = {CSV: "csv", XLSX: "xlsx"}


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: its name, header and rows; the columns (by position) shown with two places."""

    name: str
    header: Sequence[object]
    rows: Iterable[Sequence[object]]
    two_places: frozenset[int] = frozenset()


def is_number(value: object) -> TypeGuard[Number]:
    """A number our code produced: an int (a bool is no number here), or a finite Decimal or float."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, Decimal | float) and Decimal(value).is_finite()


def safe_text(text: str) -> str:
    """Text as a cell shows it: behind a quote when a spreadsheet would run it; the rest is the text itself."""
    return TEXT_MARK + text if text.startswith(FORMULA_STARTS) else text


def safe_cell(value: object) -> Number | str:
    """What an export writes for `value`: our number as a number, nothing as an empty cell, anything else as
    safe text."""
    if is_number(value):
        return value
    return "" if value is None else safe_text(str(value))


def numeral(number: Number) -> str:
    """A number as plain-text exports write it: a Decimal in positional notation (never `1E+3`), an int's
    digits, a float's shortest round-trip form."""
    if isinstance(number, Decimal):
        return format(number, "f")
    return repr(number) if isinstance(number, float) else format(int(number), "d")


def _csv_field(value: object) -> str:
    cell = safe_cell(value)
    return cell if isinstance(cell, str) else numeral(cell)


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """A CSV document (RFC 4180 quoting, CRLF line ends): the header, then one line per row, every cell safe."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([_csv_field(name) for name in header])
    writer.writerows([_csv_field(value) for value in row] for row in rows)
    return out.getvalue()


def download(body: bytes, media: str, stem: str) -> Response:
    """An export as a file to save: its type (text as UTF-8) and a name with the type's extension."""
    saved = f'attachment; filename="{stem}.{EXTENSIONS[media]}"'
    return Response(body, media_type=media, headers={"Content-Disposition": saved})


def export_type(accept: str | None) -> str | None:
    """The export a request's `Accept` header asks for: CSV, the Excel type, or None (the JSON answer)."""
    wanted = (accept or "").lower()
    return XLSX if XLSX in wanted else CSV if CSV in wanted else None


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An Excel workbook, one sheet per table (header in bold, then the rows): our numbers as number cells, anything
    else as a text cell of its text — never a formula (strings are never read as formulas, numbers or links)."""
    out = io.BytesIO()
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    with xlsxwriter.Workbook(out, options) as book:
        bold, decimal = book.add_format({"bold": True}), book.add_format({"num_format": "0.00"})
        for sheet in sheets:
            page = book.add_worksheet(safe_text(sheet.name)[:31])
            for col, title in enumerate(sheet.header):
                page.write_string(0, col, str(title), bold)
            for row_no, row in enumerate(sheet.rows, start=1):
                for col, value in enumerate(row):
                    _write_cell(page, (row_no, col), value, decimal if col in sheet.two_places else None)
    return out.getvalue()


def _write_cell(page: Worksheet, at: tuple[int, int], value: object, form: Format | None) -> None:
    """Our number as a number cell (in `form`: money and areas with two places); anything else as a text cell
    (None: an empty one)."""
    if is_number(value):
        page.write_number(*at, float(value), form)
    else:
        page.write_string(*at, "" if value is None else str(value))
