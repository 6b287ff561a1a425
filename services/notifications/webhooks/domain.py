"""The rules of webhook delivery. Pure: no I/O (the signature is the standardwebhooks library's, not ours)."""

from __future__ import annotations

import ipaddress
import random
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from standardwebhooks import Webhook

from shared.kernel.errors import refusal

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
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port out of range raises here
    except ValueError:
        raise UnsafeUrl("the endpoint is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("an endpoint is an http or https URL with a host")
    return parts.hostname


def check_addresses(addresses: list[str], allow_private: bool) -> None:
    """Every address a host resolves to must be public (SSRF guard), unless the setting allows any."""
    if allow_private:
        return
    if not addresses:
        raise UnsafeUrl("the endpoint's host has no address")
    for address in addresses:
        if not is_public(address):
            raise UnsafeUrl(f"the endpoint resolves to {address}, which is not a public address")


# Beyond what `ipaddress` calls global: multicast, the deprecated site-local range, the local-use NAT64 prefix and
# the deprecated IPv4-compatible form are never a property company's web server.
_NEVER = tuple(ipaddress.ip_network(n) for n in ("fec0::/10", "64:ff9b:1::/48", "::/96"))
# IPv6 forms whose last 32 bits are an IPv4 address the packet ends up at (NAT64, the SIIT-translated form).
_CARRIES_V4 = tuple(ipaddress.ip_network(n) for n in ("64:ff9b::/96", "::ffff:0:0:0/96"))


def is_public(address: str) -> bool:
    """A globally routable unicast address; an IPv6 address that carries an IPv4 one (IPv4-mapped, 6to4, NAT64,
    Teredo) only when that IPv4 address is public too."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv4Address):
        return True
    return not any(ip in net for net in _NEVER) and all(is_public(str(v4)) for v4 in _embedded_v4(ip))


def _embedded_v4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    carried = [v for v in (ip.ipv4_mapped, ip.sixtofour) if v is not None] + list(ip.teredo or ())
    if any(ip in net for net in _CARRIES_V4):
        carried.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return carried


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
