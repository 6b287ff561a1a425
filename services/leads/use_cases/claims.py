"""Leads use cases for claims between consultants (R9, 业务交叉): a consultant who is not the owner files a
claim; the manager sees what each side did for the customer and decides; ownership moves, announced."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import check_claim, check_decision, protected_until
from services.leads.use_cases.customers import change_owner
from shared.http.auth import Principal
from shared.kernel.clock import now_utc
from shared.kernel.errors import Conflict, found
from shared.trust.pii import open_text, seal_text


async def file_claim(conn: asyncpg.Connection, customer_id: uuid.UUID, reason: str, who: Principal) -> dict[str, Any]:
    """R9: a consultant of the project claims a customer another consultant owns; one open claim each."""
    row = found(await store.customer(conn, customer_id), "no such customer")
    who.require_project(str(row["project_id"]))
    check_claim(who.sub, row["owner_id"], reason)
    claim = {
        "id": uuid.uuid4(),
        "project_id": row["project_id"],
        "customer_id": customer_id,
        "claimant_id": who.sub,
        "owner_id": row["owner_id"],
        "reason_enc": seal_text(reason.strip()),  # R18: free text about the customer
        "filed_at": now_utc(),
    }
    try:
        await store.file_claim(conn, claim)
    except asyncpg.UniqueViolationError:
        raise Conflict("you have an open claim on this customer already", "claim_exists") from None
    return {"id": str(claim["id"]), "customer_id": str(customer_id), "status": "open"}


async def decide_claim(
    conn: asyncpg.Connection, claim_id: uuid.UUID, winner: str, reason: str, who: Principal
) -> dict[str, Any]:
    """R9: the manager decides for the owner or the claimant; if the claimant wins, ownership moves (a new
    protection period) and ownership-changed (reason `claim`) tells the other services at once."""
    async with conn.transaction():
        claim = found(await store.claim(conn, claim_id, lock=True), "no such claim")
        who.require_project(str(claim["project_id"]))
        check_decision(winner, (claim["owner_id"], claim["claimant_id"]), claim["status"], reason)
        now = now_utc()
        row = found(await store.customer(conn, claim["customer_id"], lock=True), "no such customer")
        owner = row["owner_id"]
        # Only a claimant's win moves the customer: a win for the owner side leaves them where they are now, which
        # after a departure (issue 21) is the heir, not the owner the claim was filed against.
        if winner == claim["claimant_id"] and winner != owner:
            until = protected_until(now, await store.protection_days(conn, row["project_id"]))
            await change_owner(conn, row, winner, "claim_decision", reason, who.sub, now, until)
            owner = winner
        await store.decide_claim(conn, claim_id, winner, seal_text(reason), who.sub, now)
    return {"id": str(claim_id), "status": "decided", "winner_id": winner, "owner_id": owner}


async def claims_page(
    conn: asyncpg.Connection, project_id: uuid.UUID, status: str | None, window: tuple[Any, int]
) -> list[dict[str, Any]]:
    """The project's claims with what each side did for the customer (follow-ups, calls) to decide on."""
    rows = await store.claims_page(conn, project_id, status, window)
    sides = [(row["customer_id"], side) for row in rows for side in (row["owner_id"], row["claimant_id"])]
    records = await store.side_records(conn, sides)
    return [
        _claim_view(row)
        | {"sides": [records[(row["customer_id"], side)] for side in (row["owner_id"], row["claimant_id"])]}
        for row in rows
    ]


def _claim_view(row: Any) -> dict[str, Any]:
    plain = {name: row[name] for name in ("claimant_id", "owner_id", "status", "winner_id", "decided_by")}
    times = {
        "filed_at": row["filed_at"].isoformat(),
        "decided_at": row["decided_at"].isoformat() if row["decided_at"] else None,
    }
    return {
        "id": str(row["id"]),
        "customer_id": str(row["customer_id"]),
        **plain,
        **times,
        "reason": open_text(row["reason_enc"], row["reason"]),
        "decision_reason": open_text(row["decision_reason_enc"], row["decision_reason"]),
    }
