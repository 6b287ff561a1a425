"""Leads use cases about a project as leads knows it: its local day (calls, the visitor register)."""

from __future__ import annotations

import uuid
from datetime import date
from zoneinfo import ZoneInfo

import asyncpg

from services.leads import store
from shared.kernel.clock import now_utc


async def local_today(conn: asyncpg.Connection, project_id: uuid.UUID) -> date:
    """Today in the project's time zone."""
    return now_utc().astimezone(ZoneInfo(await store.project_timezone(conn, project_id))).date()
