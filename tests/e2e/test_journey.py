"""The whole sales journey over HTTP against the four services running as processes.

Real PostgreSQL, real broker; the hand-off is read from estate.property.handoff.v1.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from shared.auth_tokens import make_token
from shared.demo import Demo, Journey, Urls
from tests.infra import async_wait_for

SECRET = "test-secret"


@pytest.fixture(scope="module")
def urls(start_service) -> Urls:
    return Urls(**{name: start_service(name).url for name in ("leads", "inventory", "payments", "notifications")})


@pytest.fixture(scope="module")
async def journey(urls: Urls, settings) -> Journey:
    return await Demo(urls, settings.jwt_secret, settings.kafka_bootstrap(), say=lambda _: None, timeout=90).run()


def _auth(project_id: str, role: str, sub: str | None = None, secret: str = SECRET) -> dict[str, str]:
    token = make_token(secret, sub or f"{role}-1", role, [project_id], name=role.title())
    return {"Authorization": f"Bearer {token}"}


async def test_the_journey_ends_with_the_property_handoff(journey: Journey) -> None:
    data = journey.handoff["data"]
    assert journey.handoff["type"] == "handoff"
    assert data["unit"]["building"] == "B1" and data["unit"]["number"] == "1801"
    assert data["resident"]["name"] == "Zhang San" and data["resident"]["phone"]  # consented
    assert data["contract_no"].startswith("HT-")
    assert data["project"]["id"] == journey.project_id
    assert journey.receipt["amount"] == "20000.00" and journey.receipt["amount_in_words"] == "贰万元整"


async def test_the_unit_ends_handed_over_and_the_timeline_tells_the_story(journey: Journey, urls: Urls) -> None:
    async with httpx.AsyncClient() as http:
        unit = (await http.get(f"{urls.inventory}/v1/units/{journey.unit_id}",
                               headers=_auth(journey.project_id, "manager"))).json()
        assert unit["status"] == "handed_over"

        wanted = {"registered", "unit_held", "deposit_verified", "subscription_signed", "payment_received",
                  "contract_signed", "mortgage_appointment", "handed_over"}

        async def timeline_complete() -> set[str]:
            r = await http.get(f"{urls.leads}/v1/customers/{journey.customer_id}/timeline",
                               headers=_auth(journey.project_id, "manager"))
            kinds = {e["kind"] for e in r.json()["timeline"]} if r.status_code == 200 else set()
            return kinds if wanted <= kinds else set()

        await async_wait_for(timeline_complete, timeout=60, what="the whole journey on the timeline")


async def test_reminders_were_scheduled_for_down_payment_and_mortgage(journey: Journey, urls: Urls) -> None:
    async with httpx.AsyncClient() as http:
        async def reminders() -> list:
            r = await http.get(f"{urls.notifications}/v1/reminders", params={"sale_id": journey.sale_id},
                               headers=_auth(journey.project_id, "manager"))
            body = r.json() if r.status_code == 200 else []
            items = body.get("reminders", body) if isinstance(body, dict) else body
            return items if len(items) >= 5 else []

        items = await async_wait_for(reminders, timeout=60)
    assert len(items) >= 5  # down payment 5 and 2 days before, mortgage 7, 3 and 1 days before (R28, R30)
