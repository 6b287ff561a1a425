"""What the leads routes share: the staff-name dependency and the vault the use cases open personal data with."""

from __future__ import annotations

from fastapi import Request

from services.leads import use_cases
from shared.http.auth import current_principal
from shared.http.requests import pool_of
from shared.trust.pii import Vault


async def remember_name(request: Request) -> None:
    """Staff names come only in tokens: keep the latest one per staff id (for "who served you before?")."""
    who = await current_principal(request)
    known: dict[str, str] | None = getattr(request.app.state, "leads_staff_names", None)
    if known is None:
        known = request.app.state.leads_staff_names = {}
    if who.name and known.get(who.sub) != who.name:
        async with pool_of(request).acquire() as conn:
            await use_cases.remember_staff(conn, who.sub, who.name)
        known[who.sub] = who.name


def vault_of(request: Request) -> Vault:
    """The service's vault (R18), made once per app from its settings; the use cases seal and open with it."""
    vault = getattr(request.app.state, "vault", None)
    if vault is None:
        vault = request.app.state.vault = Vault(request.app.state.settings.pii_key)
    return vault
