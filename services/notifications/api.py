"""HTTP API of notifications: reminders and messages, limited to the caller's projects."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request

from services.notifications.use_cases import reminder_json
from shared.auth import Principal, current_principal
from shared.web import parse_uuid

router = APIRouter()


def _projects(who: Principal) -> list[uuid.UUID] | None:
    """None: every project (admin); otherwise the projects in the token."""
    if who.role == "admin":
        return None
    return [uuid.UUID(p) for p in who.projects if _is_uuid(p)]


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


@router.get("/v1/reminders")
async def reminders(request: Request, customer_id: str | None = None, sale_id: str | None = None,
                    who: Principal = Depends(current_principal)) -> list[dict]:
    cid, sid = parse_uuid(customer_id, "customer_id", True), parse_uuid(sale_id, "sale_id", True)
    async with request.app.state.runtime.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM reminders WHERE ($1::uuid[] IS NULL OR project_id = ANY($1)) AND ($2::uuid IS NULL OR"
            " customer_id = $2) AND ($3::uuid IS NULL OR sale_id = $3) ORDER BY due_at LIMIT 500",
            _projects(who), cid, sid)
    return [reminder_json(r) for r in rows]


@router.get("/v1/notifications")
async def notifications(request: Request, recipient: str | None = None,
                        who: Principal = Depends(current_principal)) -> list[dict]:
    async with request.app.state.runtime.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT * FROM notifications WHERE ($1::uuid[] IS NULL OR project_id = ANY($1)) AND ($2::text IS NULL OR"
            " recipient = $2) ORDER BY at DESC LIMIT 500", _projects(who), recipient)
    return [{"id": str(r["id"]), "recipient": r["recipient"], "channel": r["channel"],
             "status": r["status"], "body": r["body"], "error": r["error"],
             "at": r["at"].isoformat()} for r in rows]
