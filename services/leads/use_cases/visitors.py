"""Leads use cases for visitors (R5): the day's visitor register (来访登记), and a visitor type corrected after
registration told to the other services (inventory holds nothing for a key visitor)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import KEY_VISITOR_TYPES, is_key_visitor
from services.leads.domain.visitors import VISIT, day_span, mask_name, parse_day, register_sees_all
from services.leads.store import visitors as visitors_store
from services.leads.use_cases.reads import local_today
from shared.http.auth import Principal
from shared.messaging import topics
from shared.messaging.outbox import add_event
from shared.trust.pii import Vault


@dataclass(frozen=True)
class RegisterQuery:
    """One page of a project's register: the day as asked (None: today there), who asks, the keyset page."""

    project_id: uuid.UUID
    day: str | None
    viewer: Principal
    after: tuple[datetime, uuid.UUID] | None
    limit: int


async def day_register(conn: asyncpg.Connection, vault: Vault, query: RegisterQuery) -> list[dict[str, Any]]:
    """R5, R8, R18: who came in on a local day, masked; a consultant sees key visitors and own customers only."""
    day = parse_day(query.day) if query.day is not None else await local_today(conn, query.project_id)
    span = day_span(day, await store.project_timezone(conn, query.project_id))
    owner = None if register_sees_all(query.viewer.role) else query.viewer.sub
    seen_by = (owner, sorted(KEY_VISITOR_TYPES))
    rows = await visitors_store.day_register(conn, query.project_id, span, VISIT, seen_by, query.after, query.limit)
    return [_visitor(row, vault) for row in rows]


def _visitor(row: asyncpg.Record, vault: Vault) -> dict[str, Any]:
    """One line of the register: ids, type, owner and when first seen; the name and phone masked (R18)."""
    return {
        "customer_id": str(row["id"]),
        "visitor_type": row["visitor_type"],
        "key_visitor": is_key_visitor(row["visitor_type"]),
        "name_masked": mask_name(vault.decrypt(row["name_enc"])),
        "phone_masked": row["phone_masked"],
        "consultant_id": row["owner_id"],
        "first_seen_at": row["first_seen_at"].isoformat(),
        "kind": row["kind"],
    }


async def tell_visitor_type(
    conn: asyncpg.Connection, customer_id: uuid.UUID, visitor_type: str | None, by: str
) -> None:
    """R5: a changed visitor type is published in the caller's transaction (the row locked, so the last wins)."""
    if visitor_type is None:
        return
    current = await store.customer(conn, customer_id, lock=True)
    if current is None or current["visitor_type"] == visitor_type:
        return
    project_id = str(current["project_id"])
    data: dict[str, Any] = {"customer_id": str(customer_id), "project_id": project_id, "visitor_type": visitor_type}
    data |= {"key_visitor": is_key_visitor(visitor_type), "changed_by": by}
    await add_event(conn, topics.VISITOR_TYPE_CHANGED, data, project_id=project_id)
