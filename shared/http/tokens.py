"""Development tokens (`estate token`) and test tokens: HS256 JWTs with the claims docs/api.md lists."""

from __future__ import annotations

import time

import jwt

from shared.http.auth import ROLES  # importing it also quiets the short-key warning


def make_token(
    secret: str,
    sub: str,
    role: str,
    projects: list[str] | tuple[str, ...],
    name: str | None = None,
    hours: float = 12,
    orgs: list[str] | tuple[str, ...] = (),
) -> str:
    """A signed token for `sub` with `role` on `projects` (a group manager: over the org units `orgs`), valid for
    `hours`."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}")
    now = int(time.time())
    claims = {
        "sub": sub,
        "name": name or sub,
        "role": role,
        "projects": list(projects),
        **({"orgs": list(orgs)} if orgs else {}),
        "iat": now,
        "exp": now + int(hours * 3600),
    }
    return jwt.encode(claims, secret, algorithm="HS256")
