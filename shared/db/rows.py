"""Row helpers every store uses: a keyset page's parameters, one INSERT of named columns."""

from __future__ import annotations

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
