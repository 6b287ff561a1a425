"""The rules of webhook delivery. Pure: no I/O (the signature is the standardwebhooks library's, not ours)."""

from __future__ import annotations

import ipaddress
import random
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from standardwebhooks import Webhook

from shared.domain import refusal

# Contract v1.1: retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h, then failed.
RETRY_SCHEDULE = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
JITTER = 0.1  # ±10 %, so endpoints that failed together are not retried in lockstep
ROTATION_OVERLAP = timedelta(hours=24)
SECRET_PREFIX = "whsec_"


UnsafeUrl = refusal("UnsafeUrl", "unsafe_url", "A webhook URL must be http(s) to a public host.")
UnknownEvent = refusal("UnknownEvent", "unknown_event", "A webhook subscribes to topics of the catalogue only.")


def check_url(url: str) -> str:
    """An endpoint is an http(s) URL with a host; the host name is returned for resolution."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("an endpoint is an http or https URL with a host")
    return parts.hostname


def check_addresses(addresses: list[str], allow_private: bool) -> None:
    """Loopback, private and link-local targets only when the setting allows them (SSRF guard)."""
    if allow_private:
        return
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if ip.is_loopback or ip.is_private or ip.is_link_local or ip.is_reserved or ip.is_unspecified:
            raise UnsafeUrl(f"the endpoint resolves to {ip}, which is not a public address")


def check_events(events: list[str], allowed: frozenset[str]) -> list[str]:
    """`events` chosen from the hand-off topics."""
    unknown = sorted(set(events) - allowed)
    if not events or unknown:
        raise UnknownEvent(
            f"events are chosen from {', '.join(sorted(allowed))}"
            + (f"; unknown: {', '.join(unknown)}" if unknown else "")
        )
    return sorted(set(events))


def signature(secrets: list[str], msg_id: str, at: datetime, body: str) -> str:
    """`webhook-signature`: one `v1,<base64>` per live secret, space separated (two during a rotation)."""
    return " ".join(Webhook(secret).sign(msg_id, at, body) for secret in secrets)


def live_secrets(secret: str, previous: str | None, previous_until: datetime | None, now: datetime) -> list[str]:
    """The current secret, and the previous one for 24 h after a rotation."""
    return [secret] + ([previous] if previous and previous_until and previous_until > now else [])


def next_attempt(attempts: int, now: datetime, rng: random.Random | None = None) -> datetime | None:
    """When to try again after `attempts` failed attempts, with jitter; None once the schedule is spent."""
    if attempts > len(RETRY_SCHEDULE):
        return None
    wait = RETRY_SCHEDULE[attempts - 1]
    factor = 1 + (rng or random).uniform(-JITTER, JITTER)
    return now + wait * factor


def outcome(status_code: int | None) -> str:
    """A 2xx is delivered; 410 Gone disables the endpoint; anything else (or no answer) is retried."""
    if status_code is not None and 200 <= status_code < 300:
        return "delivered"
    return "gone" if status_code == 410 else "retry"
