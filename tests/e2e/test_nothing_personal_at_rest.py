"""R18 across the platform (issue 19): after a whole journey whose buyer consented to share the phone and whose hand-off
was delivered to a property company's webhook and acknowledged, no table of any service's database — outbox, inbox,
idempotency keys and webhook tables included — holds the buyer's name or phone, or the webhook's secret, in clear."""

from __future__ import annotations

import pytest

from shared.db.databases import service_dsn
from shared.tools.demo import Journey
from tests.support.at_rest import found_in_clear

SERVICES = ("leads", "inventory", "payments", "notifications")
pytestmark = pytest.mark.timeout(300)


def _needles(journey: Journey) -> dict[str, str]:
    resident = journey.handoff["data"]["resident"]
    phone = resident["phone"]  # consented: the hand-off carries it, so the webhook delivered it
    assert resident["name"] and phone and journey.webhook["acknowledged"]
    secret = journey.webhook["secret"]
    return {
        "the buyer's name": resident["name"],
        "the buyer's phone": phone[-11:],  # the national number: in E.164 or as typed
        "the webhook secret": secret.removeprefix("whsec_"),
    }


@pytest.fixture(scope="module")
async def in_clear(journey: Journey, settings) -> dict[str, list[str]]:
    """Per service, every `table.column: what (rows)` holding one of the values in clear."""
    needles = _needles(journey)
    return {service: await found_in_clear(service_dsn(settings, service), needles) for service in SERVICES}


@pytest.mark.parametrize("service", SERVICES)
async def test_no_table_holds_the_buyers_name_phone_or_a_webhook_secret_in_clear_r18(
    in_clear: dict[str, list[str]], service: str
) -> None:
    assert in_clear[service] == []
