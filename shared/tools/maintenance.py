"""Operators' repairs run from the `estate` command against a service's database (issue 22: the group's report
buckets rebuilt from the events leads kept)."""

from __future__ import annotations

from datetime import date

import asyncpg

from shared.db.databases import service_dsn
from shared.db.pool import json_codecs
from shared.runtime.settings import Settings


async def rebuild_reports(settings: Settings, since: date) -> int:
    """`estate reports rebuild --since`: leads' report buckets from `since` on, replayed from its kept events in
    one transaction; how many events were replayed."""
    from services.leads.use_cases import rebuild

    conn = await asyncpg.connect(service_dsn(settings, "leads"))
    try:
        await json_codecs(conn)
        return await rebuild(conn, since)
    finally:
        await conn.close()
