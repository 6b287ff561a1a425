"""Inventory SQL for a fair opening's commitments (issue 25): each party's commitment, and its secret once revealed.
A record: rows are only added, and a reveal fills a row's secret once (the table's trigger refuses anything else)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

_COLUMNS = "party, commitment, notary, committed_by, committed_at, secret, revealed_by, revealed_at"


async def commitments(conn: asyncpg.Connection, opening_id: uuid.UUID) -> list[asyncpg.Record]:
    """The opening's committed parties, by party name in code point order (the "C" collation)."""
    return await conn.fetch(
        f'SELECT {_COLUMNS} FROM opening_commitments WHERE opening_id = $1 ORDER BY party COLLATE "C"', opening_id
    )


async def any_commitment(conn: asyncpg.Connection, opening_id: uuid.UUID) -> bool:
    """Whether the opening took a commitment (then it is drawn by its reveals only)."""
    return bool(
        await conn.fetchval("SELECT EXISTS (SELECT 1 FROM opening_commitments WHERE opening_id = $1)", opening_id)
    )


_COMMIT = (
    "INSERT INTO opening_commitments (opening_id, party, commitment, notary, committed_by, committed_at)"
    f" VALUES ($1, $2, $3, $4, $5, $6) RETURNING {_COLUMNS}"
)


async def commit(
    conn: asyncpg.Connection, opening_id: uuid.UUID, party: str, commitment: str, notary: bool, actor: str, at: datetime
) -> asyncpg.Record:
    """A party's commitment, recorded with who made it, when, and whether with a notary's token."""
    return await conn.fetchrow(_COMMIT, opening_id, party, commitment, notary, actor, at)


_REVEAL = (
    "UPDATE opening_commitments SET secret = $3, revealed_by = $4, revealed_at = $5"
    " WHERE opening_id = $1 AND party = $2 AND secret IS NULL"
)


async def reveal(
    conn: asyncpg.Connection, opening_id: uuid.UUID, party: str, secret: str, actor: str, at: datetime
) -> None:
    """The party's secret, once."""
    await conn.execute(_REVEAL, opening_id, party, secret, actor, at)
