"""Leads use case for staff names: they come only in tokens, so the latest one per staff id is kept (for "who
served you before?", R4, and the managers' digest, R13)."""

from __future__ import annotations

import asyncpg

from services.leads import store


async def remember_staff(conn: asyncpg.Connection, staff_id: str, name: str) -> None:
    """The latest name a token gave for this staff id."""
    await store.remember_staff(conn, staff_id, name)
