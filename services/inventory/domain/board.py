"""The big screen's read-only link (issue 11): signed for one project, expiring. Pure: no I/O."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import datetime, timedelta

import jwt

from shared.kernel.errors import InvalidInput, refusal

DEFAULT_HOURS, MAX_HOURS = 12, 72
LinkExpired = refusal("LinkExpired", "link_expired", "The board link has expired: ask for a new one.", 401)
LinkInvalid = refusal("LinkInvalid", "invalid_link", "Not a board link this platform signed.", 401)


def _key(secret: str) -> bytes:
    """A key of its own, derived from the platform secret: a board link is never a bearer token, nor the reverse."""
    return hmac.new(secret.encode(), b"estate board link v1", hashlib.sha256).digest()


def make_link(secret: str, project_id: uuid.UUID, now: datetime, hours: int = DEFAULT_HOURS) -> tuple[str, datetime]:
    """A link for one project's board, valid `hours` (1–72); the token and when it expires."""
    if not 1 <= hours <= MAX_HOURS:
        raise InvalidInput(f"hours must be 1–{MAX_HOURS}", "invalid_hours")
    expires = now + timedelta(hours=hours)
    claims = {"typ": "board", "pid": str(project_id), "iat": int(now.timestamp()), "exp": int(expires.timestamp())}
    return jwt.encode(claims, _key(secret), algorithm="HS256"), expires


def read_link(secret: str, token: str, now: datetime) -> uuid.UUID:
    """The project a live link shows; `LinkExpired` or `LinkInvalid` (tampered, foreign, malformed) otherwise."""
    try:
        claims = jwt.decode(
            token, _key(secret), algorithms=["HS256"], options={"require": ["exp", "pid"], "verify_exp": False}
        )
        project_id = uuid.UUID(str(claims["pid"]))
    except (jwt.PyJWTError, ValueError) as exc:
        raise LinkInvalid("this board link is not valid") from exc
    if claims.get("typ") != "board":
        raise LinkInvalid("this board link is not valid")
    if not isinstance(claims["exp"], int | float) or claims["exp"] <= now.timestamp():
        raise LinkExpired("this board link has expired")
    return project_id


STREAM_RETRY_SECONDS = 10  # a slot held by a screen that went away is freed by the next keep-alive at the latest
TooManyStreams = refusal(
    "TooManyStreams",
    "too_many_streams",
    "Issue 19: a board link, and a person, hold a few board streams open at once (settings); try again later.",
    429,
)


def check_stream_room(holder: str, open_now: int, cap: int) -> None:
    """Issue 19: one more stream for `holder` (a board link, a person) while fewer than `cap` are open."""
    if open_now >= cap:
        raise TooManyStreams(f"{holder} has {open_now} board streams open, the most allowed: close one or wait")
