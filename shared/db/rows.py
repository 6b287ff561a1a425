"""Row helpers: a keyset page's parameters, one INSERT of named columns, a row rendered as a JSON answer."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import asyncpg


def window_args(window: tuple[tuple[Any, Any] | None, int]) -> tuple[Any, Any, int]:
    """A keyset page's query parameters: the cursor's two values (NULLs on the first page) and the page size."""
    after, limit = window
    at, ident = after or (None, None)
    return at, ident, limit


async def insert_row(conn: asyncpg.Connection, table: str, row: dict[str, Any], suffix: str = "") -> str:
    """INSERT one row of named columns (names from code, never from input); `suffix` such as an ON CONFLICT."""
    columns = ", ".join(row)
    values = ", ".join(f"${i}" for i in range(1, len(row) + 1))
    return await conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({values}) {suffix}".rstrip(), *row.values())


def json_view(row: Any, *names: str, **renamed: str) -> dict[str, Any]:
    """A row's columns as a JSON answer: `names` as they are, `renamed` as `answer_key=column`; ids and amounts as
    strings, times in ISO 8601 (None stays None). Every list and event of the services renders rows through it."""
    columns = {name: name for name in names} | renamed
    return {key: _json_value(row[column]) for key, column in columns.items()}


def _json_value(value: Any) -> Any:
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def earliest(conn: asyncpg.Connection, table: str, column: str, where: str) -> Any:
    """The smallest `column` of `table`'s rows that match `where` (names and condition from code, never from
    input): when a job's next item falls due, read through the index its partial condition names."""
    return await conn.fetchval(f"SELECT min({column}) FROM {table} WHERE {where}")
