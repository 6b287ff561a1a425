"""Which customer a person may act for (R8): decided here, with the rows, never in the HTTP layer. Another
project's staff get 403; a colleague's customer does not exist for a consultant (404)."""

from __future__ import annotations

import uuid

import asyncpg

from services.leads import store
from services.leads.domain import may_see
from shared.http.auth import Principal
from shared.kernel.errors import NotFound


async def visible_customer(conn: asyncpg.Connection, customer_id: uuid.UUID, who: Principal) -> asyncpg.Record:
    """The customer if this person may see them; NotFound otherwise (R8: others' customers don't exist for you)."""
    row = await store.customer(conn, customer_id)
    if row is None:
        raise NotFound("no such customer")
    who.require_project(str(row["project_id"]))  # another project's staff: 403, as everywhere
    if not may_see(row["owner_id"], who.sub, who.role):
        raise NotFound("no such customer")
    return row


async def own_customer(conn: asyncpg.Connection, customer_id: uuid.UUID, who: Principal) -> asyncpg.Record:
    """The customer if this consultant owns them (R8: only the owner records follow-ups)."""
    row = await visible_customer(conn, customer_id, who)
    if row["owner_id"] != who.sub:
        raise NotFound("no such customer of yours")
    return row
