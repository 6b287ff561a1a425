"""Read-only links (the board's big screen, issue 11; the group's dashboard, issue 22): signed for what they show,
expiring, each kind with a key of its own derived from the platform secret, so a link is never a bearer token,
nor one kind of link another. Pure: no I/O."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

import jwt

from shared.kernel.errors import InvalidInput, refusal

LinkExpired = refusal("LinkExpired", "link_expired", "The link has expired: ask for a new one.", 401)
LinkInvalid = refusal("LinkInvalid", "invalid_link", "Not a link this platform signed.", 401)


def _key(secret: str, kind: str) -> bytes:
    return hmac.new(secret.encode(), f"estate {kind} link v1".encode(), hashlib.sha256).digest()


def make_link(
    secret: str, kind: str, claims: dict[str, Any], now: datetime, hours: int, max_hours: int
) -> tuple[str, datetime]:
    """A link of `kind` carrying `claims`, valid `hours` (1–`max_hours`, else 422 `invalid_hours`); the token and
    when it expires."""
    if not 1 <= hours <= max_hours:
        raise InvalidInput(f"hours must be 1–{max_hours}", "invalid_hours")
    expires = now + timedelta(hours=hours)
    signed = claims | {"typ": kind, "iat": int(now.timestamp()), "exp": int(expires.timestamp())}
    return jwt.encode(signed, _key(secret, kind), algorithm="HS256"), expires


def read_link(secret: str, kind: str, token: str, now: datetime) -> dict[str, Any]:
    """The claims of a live link of `kind`; `LinkExpired`, or `LinkInvalid` (tampered, foreign, malformed)."""
    try:
        claims = jwt.decode(
            token, _key(secret, kind), algorithms=["HS256"], options={"require": ["exp"], "verify_exp": False}
        )
    except jwt.PyJWTError as exc:
        raise LinkInvalid(f"this {kind} link is not valid") from exc
    if claims.get("typ") != kind:
        raise LinkInvalid(f"this {kind} link is not valid")
    if not isinstance(claims["exp"], int | float) or claims["exp"] <= now.timestamp():
        raise LinkExpired(f"this {kind} link has expired")
    return dict(claims)
