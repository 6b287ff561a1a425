"""The big screen's read-only link (issue 11): signed for one project, expiring. Pure: no I/O."""

from __future__ import annotations

import uuid
from datetime import datetime

from shared.kernel.errors import refusal
from shared.trust import links
from shared.trust.links import LinkExpired, LinkInvalid

DEFAULT_HOURS, MAX_HOURS = 12, 72
__all__ = ["DEFAULT_HOURS", "MAX_HOURS", "LinkExpired", "LinkInvalid", "check_stream_room", "make_link", "read_link"]


def make_link(secret: str, project_id: uuid.UUID, now: datetime, hours: int = DEFAULT_HOURS) -> tuple[str, datetime]:
    """A link for one project's board, valid `hours` (1–72); the token and when it expires."""
    return links.make_link(secret, "board", {"pid": str(project_id)}, now, hours, MAX_HOURS)


def read_link(secret: str, token: str, now: datetime) -> uuid.UUID:
    """The project a live link shows; `LinkExpired` or `LinkInvalid` (tampered, foreign, malformed) otherwise."""
    claims = links.read_link(secret, "board", token, now)
    try:
        return uuid.UUID(str(claims["pid"]))
    except (KeyError, ValueError) as exc:
        raise LinkInvalid("this board link is not valid") from exc


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
