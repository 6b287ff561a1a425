"""One delivery attempt on the wire (issue 19, SSRF by DNS rebinding): the endpoint's host name is resolved at every
attempt, every address it resolves to is checked, and the connection goes to exactly the address checked — httpx's
documented way of connecting to an explicit IP address: the URL names the address, the `Host` header keeps the
endpoint's host name, and for https the `sni_hostname` request extension makes TLS send and verify the certificate
against the host name. No connection is kept for reuse (each attempt connects to what it checked), redirects are not
followed and no proxy from the environment is used (a proxy would look the name up again)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from typing import NamedTuple

import httpx

from services.notifications.webhooks.domain import UnsafeUrl, check_addresses
from shared.runtime import metrics

Resolver = Callable[[str], Awaitable[list[str]]]
UNSAFE, UNRESOLVABLE = "unsafe_url", "unresolvable"  # what the delivery log says of an attempt refused on our side


async def system_resolver(host: str) -> list[str]:
    """The addresses a host name resolves to, in the system's order of preference (getaddrinfo off the loop)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class Pinned(NamedTuple):
    """A request target bound to one checked address."""

    url: httpx.URL  # the endpoint's URL with the checked address as its host
    host: str  # the `Host` header: the endpoint's host name (and port)
    sni: str | None  # for https to a host name: the name TLS sends and verifies


async def pin(url: str, resolver: Resolver, allow_private: bool) -> Pinned:
    """Resolve the endpoint's host once, check every address (`UnsafeUrl`), bind the request to the first."""
    try:
        target = httpx.URL(url)
    except httpx.InvalidURL:
        raise UnsafeUrl("the endpoint is not a valid URL") from None
    host = target.raw_host.decode("ascii")
    addresses = [host] if _is_address(host) else await resolver(host)
    if not addresses:
        raise LookupError(host)
    check_addresses(addresses, allow_private)
    named = not _is_address(host)
    return Pinned(target.copy_with(host=addresses[0]), target.netloc.decode("ascii"), host if named else None)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%")[0])
        return True
    except ValueError:
        return False


def client(timeout: float, verify: ssl.SSLContext | bool = True) -> httpx.AsyncClient:
    """The worker's HTTP client: no pooled connections (a connection kept from one attempt would skip the next one's
    check, and its TLS session was verified for another host name), no redirects, no proxies from the environment."""
    limits = httpx.Limits(max_keepalive_connections=0)
    return httpx.AsyncClient(timeout=timeout, verify=verify, trust_env=False, follow_redirects=False, limits=limits)


class Attempt(NamedTuple):
    status_code: int | None
    ms: int
    error: str | None


class Sender:
    """Posts deliveries; refuses, before any connection, a host that now resolves to a non-public address."""

    def __init__(self, http: httpx.AsyncClient, resolver: Resolver, allow_private: bool) -> None:
        self.http, self.resolver, self.allow_private = http, resolver, allow_private

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> Attempt:
        """One attempt. A refused one carries our own code only — never the target's status or words."""
        began = time.perf_counter()
        status, error = await self._attempt(url, body, headers)
        seconds = time.perf_counter() - began
        metrics.WEBHOOK_ATTEMPT_SECONDS.observe(seconds)
        return Attempt(status, int(seconds * 1000), error)

    async def _attempt(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str | None]:
        try:
            target = await asyncio.wait_for(pin(url, self.resolver, self.allow_private), self.http.timeout.connect)
        except UnsafeUrl:
            return None, UNSAFE
        except (LookupError, TimeoutError):
            return None, UNRESOLVABLE
        extensions = {"sni_hostname": target.sni} if target.sni and target.url.scheme == "https" else {}
        try:
            answer = await self.http.post(
                target.url, content=body, headers=headers | {"host": target.host}, extensions=extensions
            )
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"[:300]
        return answer.status_code, None
