"""R18, the columns older releases kept in plain: which rows still wait to be sealed, and sealing one. One table of
the columns instead of a pair of functions per column."""

from __future__ import annotations

import uuid

import asyncpg

# the table, its plain column, its sealed column, what the plain column holds once sealed, which rows still wait
PLAIN: dict[str, tuple[str, str, str, str, str]] = {
    "profiles": ("customers", "profile", "profile_enc", "'{}'", "profile_enc IS NULL"),  # before migration 002
    "feedback": ("followups", "feedback", "feedback_enc", "NULL", "feedback IS NOT NULL"),  # before migration 002
    "tags": ("customers", "tags", "tags_enc", "'{}'", "tags_enc IS NULL"),  # before migration 003
    "call_notes": ("calls", "asked", "asked_enc", "NULL", "asked IS NOT NULL"),
    "owner_reasons": ("ownership_changes", "reason", "reason_enc", "NULL", "reason IS NOT NULL"),  # before 011
}


async def plain_rows(conn: asyncpg.Connection, what: str, limit: int) -> list[asyncpg.Record]:
    """Up to `limit` rows whose `what` is still in plain (id and the plain value), locked, skipping locked ones."""
    table, plain, _, _, waiting = PLAIN[what]
    return await conn.fetch(f"SELECT id, {plain} FROM {table} WHERE {waiting} LIMIT $1 FOR UPDATE SKIP LOCKED", limit)


async def seal_row(conn: asyncpg.Connection, what: str, row_id: uuid.UUID | int, sealed: bytes) -> None:
    """The row's `what` sealed, its plain column emptied."""
    table, plain, enc, emptied, _ = PLAIN[what]
    await conn.execute(f"UPDATE {table} SET {enc} = $2, {plain} = {emptied} WHERE id = $1", row_id, sealed)
