"""Inventory use cases for designees (R23, R27): a project manager names who may take and count deposits or
countersign subscriptions beside the roles that may anyway, or withdraws it; every naming is kept (R35) and told
(`designee-named`: payments applies `take_deposits`); the subscription asks who may countersign."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.inventory import store
from services.inventory.domain.designees import NotACountersigner, check_powers, may_countersign
from services.inventory.store import designees as designees_store
from shared.http.auth import Principal
from shared.messaging import topics
from shared.messaging.outbox import add_event
from shared.trust.ownership import in_project


async def name_designee(
    conn: asyncpg.Connection, project_id: uuid.UUID, staff_id: str, grant: tuple[list[str], str], who: Principal
) -> dict[str, Any]:
    """R23, R27: `staff_id` may from now on do what `powers` name in this project (none: no longer); kept and told."""
    powers, reason = check_powers(grant[0], grant[1]), grant[1].strip()
    naming = {"staff_id": staff_id, "powers": powers, "reason": reason, "named_by": who.sub}
    async with conn.transaction():
        named_at = await designees_store.name_designee(conn, project_id, naming)
        told = naming | {"project_id": str(project_id), "powers": list(powers), "named_at": named_at}
        await add_event(conn, topics.DESIGNEE_NAMED, told, project_id=str(project_id))
    return told | {"named_at": named_at.isoformat()}


async def designees(conn: asyncpg.Connection, project_id: uuid.UUID) -> list[dict[str, Any]]:
    """The project's designees now: who, what they may do, who named them, when and why."""
    return [
        {"project_id": str(project_id), "staff_id": r["staff_id"], "powers": list(r["powers"]), "reason": r["reason"]}
        | {"named_by": r["named_by"], "named_at": r["named_at"].isoformat()}
        for r in await designees_store.designees(conn, project_id)
    ]


async def sale_to_countersign(conn: asyncpg.Connection, sale_id: uuid.UUID, who: Principal) -> tuple[uuid.UUID, str]:
    """R27: the sale (its project checked first), if `who` may countersign it: the manager, or a designee of the
    sale's project given `countersign` (403 `wrong_role` for anyone else); and in which capacity."""
    sale = in_project(await store.sale(conn, sale_id), "sale", who.require_project)
    powers = [] if who.may("manager") else await designees_store.powers_of(conn, sale["project_id"], who.sub)
    if not may_countersign(who.acting_role, powers):
        raise NotACountersigner(f"role {who.role} may not countersign, and the manager has not named you (R27)")
    return sale["id"], who.role if who.may("manager") else "designee"
