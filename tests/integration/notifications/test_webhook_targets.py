"""Issue 19, SSRF by DNS rebinding: an endpoint's host name is resolved again at every attempt, the address checked,
and the connection made to exactly that address (no second lookup), with https still verified against the host
name. A host that turned to the loopback after registration gets nothing: the attempt is logged as `unsafe_url`
only and retried on the normal schedule. R18: the resident's name and phone never leave for such a host."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest

from services.notifications.webhooks import use_cases as webhooks
from services.notifications.webhooks.sending import Sender, client
from shared.messaging.topics import PROPERTY_HANDOFF
from tests.support.apps import apply_event
from tests.support.polling import async_wait_for
from tests.support.webhooks import (
    Receiver,
    SwitchableResolver,
    certificate_authority,
    handoff_data,
    isolated_notifications,
    manager_headers,
)

PUBLIC = "93.184.216.34"


@pytest.fixture(scope="module")
def resolver() -> SwitchableResolver:
    return SwitchableResolver()


@pytest.fixture(scope="module")
async def guarded(settings, resolver):
    """Private targets not allowed, as in production."""
    async with isolated_notifications(settings, resolver, allow_private=False) as svc:
        yield svc


async def _attempts(svc, endpoint_id: str) -> list:
    async with svc.pool.acquire() as conn:
        return await conn.fetch(
            "SELECT a.status_code, a.error, a.at, d.next_attempt_at, d.status FROM webhook_attempts a"
            " JOIN webhook_deliveries d USING (endpoint_id, event_id) WHERE a.endpoint_id = $1 ORDER BY a.id",
            uuid.UUID(endpoint_id),
        )


async def test_a_host_that_turns_to_the_loopback_after_registration_gets_nothing_r18(
    guarded, settings, resolver, receiver
) -> None:
    pid, host = str(uuid.uuid4()), f"rebind-{uuid.uuid4().hex[:8]}.example"
    resolver.answer([PUBLIC], host)
    r = await guarded.client.post(
        "/v1/webhooks",
        headers=manager_headers(settings, pid),
        json={"project_id": pid, "url": receiver.url(host), "events": [PROPERTY_HANDOFF.name]},
    )
    assert r.status_code == 201, r.text
    hook = r.json()
    resolver.answer(["127.0.0.1"], host)  # the attacker's DNS now points at the sales office's own machine
    data = handoff_data(str(uuid.uuid4()), {"name": "钱多多", "phone": "+8613912345678"})
    await apply_event(guarded, webhooks.on_handoff, PROPERTY_HANDOFF, data, pid)
    first = await async_wait_for(lambda: _attempts(guarded, hook["id"]), timeout=15, what="the first attempt")
    assert [(a["status_code"], a["error"], a["status"]) for a in first] == [(None, "unsafe_url", "pending")]
    wait = first[0]["next_attempt_at"] - first[0]["at"]
    assert timedelta(seconds=4) < wait < timedelta(seconds=6)  # the schedule's first retry: 5 s ± 10 %
    asked = resolver.asked.count(host)
    async with guarded.pool.acquire() as conn:  # time passes: the retry is due
        await conn.execute(
            "UPDATE webhook_deliveries SET next_attempt_at = now() WHERE endpoint_id = $1", uuid.UUID(hook["id"])
        )
    both = await async_wait_for(
        lambda: _two(_attempts(guarded, hook["id"])), timeout=15, what="the retry, refused again"
    )
    assert [(a["status_code"], a["error"]) for a in both] == [(None, "unsafe_url")] * 2
    assert resolver.asked.count(host) == asked + 1  # asked again for the retry, and only once
    log = (
        await guarded.client.get(f"/v1/webhooks/{hook['id']}/deliveries", headers=manager_headers(settings, pid))
    ).json()
    assert [(a["status_code"], a["error"]) for a in log] == [(None, "unsafe_url")] * 2
    assert receiver.got == []


async def _two(rows) -> list:
    found = await rows
    return found if len(found) >= 2 else []


async def test_a_sender_connects_to_the_address_it_checked_and_keeps_the_host_name(receiver) -> None:
    """No second lookup between the check and the connection: the system resolver does not know this name, so
    only the checked address can have been used; the receiver still sees its own host name."""
    resolver = SwitchableResolver(**{"pm.example": ["127.0.0.1"]})
    async with client(5.0) as http:
        status, _, error = await Sender(http, resolver, allow_private=True).post(
            receiver.url("pm.example"), b"{}", _headers()
        )
    assert (status, error) == (200, None) and resolver.asked == ["pm.example"]
    assert receiver.got[0]["host"] == f"pm.example:{receiver.port}"


async def test_a_refused_address_is_never_connected_to(receiver) -> None:
    resolver = SwitchableResolver(**{"pm.example": ["127.0.0.1"]})
    async with client(5.0) as http:
        attempt = await Sender(http, resolver, allow_private=False).post(receiver.url("pm.example"), b"{}", _headers())
    assert (attempt[0], attempt[2]) == (None, "unsafe_url") and receiver.got == []


async def test_a_name_that_does_not_resolve_is_an_error_of_ours_not_the_targets() -> None:
    async def nothing(host: str) -> list[str]:
        return []

    async with client(5.0) as http:
        attempt = await Sender(http, nothing, allow_private=False).post("http://gone.example/x", b"{}", _headers())
    assert (attempt[0], attempt[2]) == (None, "unresolvable")


async def test_https_to_the_pinned_address_is_verified_against_the_host_name(tmp_path: Path) -> None:
    files, trusted = certificate_authority(tmp_path, ["pm.example"])
    receiver = Receiver(tls=files)
    await receiver.start()
    resolver = SwitchableResolver(**{"pm.example": ["127.0.0.1"], "other.example": ["127.0.0.1"]})
    try:
        async with client(5.0, verify=trusted) as http:  # the worker's client, trusting the test's CA only
            sender = Sender(http, resolver, allow_private=True)
            good = await sender.post(receiver.url("pm.example", "https"), b"{}", _headers())
            wrong = await sender.post(receiver.url("other.example", "https"), b"{}", _headers())
    finally:
        await receiver.stop()
    assert (good[0], good[2]) == (200, None)
    assert wrong[0] is None and "certificate" in (wrong[2] or "").lower()  # the name is checked, not the address
    assert len(receiver.got) == 1 and receiver.got[0]["host"] == f"pm.example:{receiver.port}"


def _headers() -> dict[str, str]:
    return {"webhook-id": str(uuid.uuid4()), "content-type": "application/json"}


@pytest.mark.parametrize(
    "url",
    [
        "http://[::1/x",
        "http://pm.example:99999/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://2002:7f00:1::/x",
        "gopher://x",
    ],
)
async def test_a_malformed_or_non_public_url_is_refused_at_registration_not_a_500(guarded, settings, url) -> None:
    pid = str(uuid.uuid4())
    r = await guarded.client.post(
        "/v1/webhooks",
        headers=manager_headers(settings, pid),
        json={"project_id": pid, "url": url, "events": [PROPERTY_HANDOFF.name]},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "unsafe_url"
