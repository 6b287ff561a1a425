"""Payments SQL for the ledger (R35): one append-only row per money movement, of a deposit or a sale."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, TypeAlias

import asyncpg

Row: TypeAlias = asyncpg.Record


async def add_ledger_entry(
    conn: asyncpg.Connection, project_id: uuid.UUID, kind: str, amount: Decimal, actor: str | None, refs: dict[str, Any]
) -> None:
    """R35: one append-only row per money movement; `refs` names sale_id, deposit_id, hold_id and ref."""
    await conn.execute(
        "INSERT INTO ledger (project_id, sale_id, deposit_id, hold_id, kind, amount, actor, ref)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8)",
        project_id,
        refs.get("sale_id"),
        refs.get("deposit_id"),
        refs.get("hold_id"),
        kind,
        amount,
        actor,
        refs.get("ref"),
    )


async def ledger_entries(conn: asyncpg.Connection, sale_id: uuid.UUID, hold_id: uuid.UUID | None) -> list[Row]:
    return await conn.fetch(
        "SELECT * FROM ledger WHERE sale_id = $1 OR (hold_id = $2 AND $2 IS NOT NULL) ORDER BY id", sale_id, hold_id
    )
