"""The cells of every export (issue 19): data, never a formula a spreadsheet would run (OWASP CSV injection).

`safe_cell` is the one rule. A number our own code produced (an `int`, a finite `Decimal` or `float`) stays a
number: written out it can only spell a numeric literal (`-5.00` is minus five to a spreadsheet), so it is never
quoted. Everything else is text (a `str` is text even when it looks like a number: it came from someone), and
text starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, which spreadsheets read as
"this cell is text" and hide. `None` is an empty cell.

`csv_text` writes a table with that rule. `xlsx_bytes` (issue 22) writes an Excel workbook, one sheet per table,
through `safe_cell` too: what it answers is a number cell (money and areas shown with two places) or a text cell
— never a formula cell."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeGuard

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, TYPE_STRING

__all__ = [
    "FORMULA_STARTS",
    "TEXT_MARK",
    "XLSX_TYPE",
    "Number",
    "Sheet",
    "csv_text",
    "is_number",
    "numeral",
    "safe_cell",
    "safe_text",
    "xlsx_bytes",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what makes a spreadsheet read a cell as a formula
TEXT_MARK = "'"  # a leading quote: the cell is text

Number = int | Decimal | float
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


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


@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook: its name, header and rows; the columns (by position) shown with two places."""

    name: str
    header: Sequence[object]
    rows: Sequence[Sequence[object]]
    two_places: frozenset[int] = field(default_factory=frozenset)


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An Excel workbook (.xlsx), one sheet per table: numbers as number cells, text as text cells (never a
    formula, whatever it starts with), money and areas formatted with two places."""
    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        page = book.create_sheet(sheet.name[:31])
        for r, row in enumerate([sheet.header, *sheet.rows], 1):
            for c, value in enumerate(row, 1):
                _xlsx_cell(page.cell(row=r, column=c), safe_cell(value), r > 1 and c - 1 in sheet.two_places)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _xlsx_cell(cell: Any, value: Number | str, two_places: bool) -> None:
    if isinstance(value, str):
        cell.value = ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)  # control characters XML cannot hold
        cell.data_type = TYPE_STRING  # text stays text, even "=…" behind its quote
        return
    cell.value = value
    if two_places:
        cell.number_format = "0.00"
