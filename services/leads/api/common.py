"""What the leads routes share: the staff-name dependency, the pool and the vault, the customer a person may
see, and how a customer and a follow-up are shown (masked in lists, R18)."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from services.leads import use_cases
from services.leads.domain import due_for, is_key_visitor, is_overdue
from shared.http.auth import Principal, current_principal
from shared.http.requests import parse_uuid
from shared.kernel.clock import now_utc
from shared.trust.pii import Vault, open_text


async def remember_name(request: Request) -> None:
    """Staff names come only in tokens: keep the latest one per staff id (for "who served you before?")."""
    who = await current_principal(request)
    known: dict[str, str] | None = getattr(request.app.state, "leads_staff_names", None)
    if known is None:
        known = request.app.state.leads_staff_names = {}
    if who.name and known.get(who.sub) != who.name:
        async with _pool(request).acquire() as conn:
            await use_cases.remember_staff(conn, who.sub, who.name)
        known[who.sub] = who.name


def _pool(request: Request):
    return request.app.state.runtime.pool


def _vault(request: Request) -> Vault:
    vault = getattr(request.app.state, "vault", None)
    if vault is None:
        vault = request.app.state.vault = Vault(request.app.state.settings.pii_key)
    return vault


def _summary(row, vault: Vault, full: bool) -> dict[str, Any]:
    """A customer as the API shows them: masked phone in lists (R18), the full record to owner and manager."""
    due = due_for(row["last_touch_at"], row["grade"], row["next_contact_at"])
    body = {name: row[name] for name in ("owner_id", "phone_masked", "source", "visitor_type", "grade")}
    body |= {"id": str(row["id"]), "project_id": str(row["project_id"]), "name": vault.decrypt(row["name_enc"])}
    body |= {"phone": body.pop("phone_masked"), "key_visitor": is_key_visitor(row["visitor_type"])}
    body |= {"tags": _tags(row, vault), "status": "lost" if row["closed_at"] else "active"}
    body |= {name: _iso(row[name]) for name in ("protected_until", "last_touch_at", "next_contact_at")}
    body |= {"followup_due_at": _iso(due), "followup_overdue": is_overdue(due, now_utc())}
    return body | (_unmasked(row, vault) if full else {})


def _unmasked(row: Any, vault: Vault) -> dict[str, Any]:
    """What only the owner and the manager see (R8, R11, R18)."""
    return {
        "phone": vault.decrypt(row["phone_enc"]) if row["phone_enc"] else None,
        "phone_masked": row["phone_masked"],
        "profile": _profile(row, vault),
        "consent_share": row["consent_share"],
        "referred_by": row["referred_by"],
        "registered_at": row["registered_at"].isoformat(),
        "close_reason": row["close_reason"],
    }


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def _tags(row, vault: Vault) -> list[str]:
    """Sealed since migration 003 (R18); rows the sealing job has not reached keep their plain column."""
    return vault.decrypt_json(row["tags_enc"], []) if row["tags_enc"] is not None else list(row["tags"])


def _profile(row, vault: Vault) -> dict[str, Any]:
    """Encrypted since migration 002; rows from before keep their plain column."""
    if row["profile_enc"] is not None:
        return vault.decrypt_json(row["profile_enc"], {})
    return row["profile"] or {}


async def _visible(conn: Any, customer_id: str, who: Principal) -> Any:
    return await use_cases.visible_customer(conn, parse_uuid(customer_id, "customer id"), who)


def _followup_view(row, vault: Vault) -> dict[str, Any]:
    """R8: time, channel, content, feedback (R17) and the agreed next contact (R14) of one follow-up."""
    feedback = vault.decrypt_json(row["feedback_enc"]) if row["feedback_enc"] is not None else row["feedback"]
    return {
        "id": str(row["id"]),
        "at": row["at"].isoformat(),
        "by": row["consultant_id"],
        "channel": row["channel"],
        "content": vault.decrypt(row["content_enc"]),
        "feedback": feedback,
        "next_contact_at": row["next_contact_at"].isoformat(),
    }


def record(row: Any, vault: Vault, followups: list[Any], changes: list[Any]) -> dict[str, Any]:
    """The full record (R8, R11): the summary unmasked, the follow-ups and the ownership history (R9)."""
    history = [
        {
            "at": c["at"].isoformat(),
            "from": c["from_owner"],
            "to": c["to_owner"],
            "kind": c["kind"],
            "reason": open_text(c["reason_enc"], c["reason"]),
            "decided_by": c["decided_by"],
        }
        for c in changes
    ]
    shown = [_followup_view(f, vault) for f in followups]
    return _summary(row, vault, full=True) | {"followups": shown, "ownership_history": history}
