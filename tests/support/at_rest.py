"""Searching a whole database for a value in clear (R18): every column of every table, bytes as bytes and anything
else as its text (text, JSON, arrays, …)."""

from __future__ import annotations

import asyncpg

_COLUMNS = """
SELECT c.table_schema, c.table_name, c.column_name, c.data_type
  FROM information_schema.columns c
  JOIN information_schema.tables t USING (table_schema, table_name)
 WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
 ORDER BY 1, 2, 3
"""
_SKIPPED = ("boolean", "integer", "bigint", "smallint", "numeric", "uuid", "date", "real", "double precision")


async def found_in_clear(dsn: str, needles: dict[str, str]) -> list[str]:
    """Where any of `needles` ({what: value}) is stored in clear: `table.column: what (rows)` lines."""
    conn = await asyncpg.connect(dsn)
    try:
        found = []
        for col in await conn.fetch(_COLUMNS):
            if col["data_type"] in _SKIPPED or col["data_type"].startswith("timestamp"):
                continue
            for what, value in needles.items():
                rows = await _count(conn, col, value)
                if rows:
                    found.append(f"{col['table_name']}.{col['column_name']}: {what} ({rows} rows)")
        return found
    finally:
        await conn.close()


async def _count(conn: asyncpg.Connection, col: asyncpg.Record, value: str) -> int:
    table = f'"{col["table_schema"]}"."{col["table_name"]}"'
    column = f'"{col["column_name"]}"'
    if col["data_type"] == "bytea":
        return await conn.fetchval(
            f"SELECT count(*) FROM {table} WHERE position($1::bytea IN {column}) > 0", value.encode()
        )
    return await conn.fetchval(f"SELECT count(*) FROM {table} WHERE strpos({column}::text, $1) > 0", value)
