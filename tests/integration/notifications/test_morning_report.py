"""Issue 22 on real PostgreSQL: leads' morning report (日报) of an org unit becomes one in-app message to
`role:group_manager:{org}`, sent at 08:30 although quiet hours (R15) run until 09:00, once however often the event
comes, and listed for the group managers over that unit — not for another unit's, nor a project's manager."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.notifications import consumers, use_cases
from services.notifications.app import build_spec
from services.notifications.domain import Planned
from shared.http.tokens import make_token
from shared.messaging import topics
from shared.messaging.envelope import new_envelope
from shared.trust import orgs
from tests.support.apps import running_app
from tests.support.polling import async_wait_for

pytestmark = pytest.mark.timeout(90)
HALF_PAST_EIGHT = datetime(2026, 3, 5, 0, 30, tzinfo=UTC)  # 08:30 in Shanghai


@pytest.fixture(scope="module")
async def notifications(settings):
    async with running_app(build_spec(), settings) as svc:
        yield svc


def _bearer(settings, role: str, orgs_: list[str], projects: list[str] = ()) -> dict[str, str]:
    token = make_token(settings.jwt_secret, f"{role}-m", role, list(projects), orgs=orgs_)
    return {"Authorization": f"Bearer {token}"}


async def test_the_morning_report_reaches_the_units_group_managers_once(notifications, settings) -> None:
    root, region, sibling = (str(uuid.uuid4()) for _ in range(3))
    async with notifications.pool.acquire() as conn:
        for unit, path in ((root, [root]), (region, [root, region]), (sibling, [root, sibling])):
            await orgs.save_org(conn, unit, path[0] if len(path) > 1 else None, path)
    deal = {"count": 1, "area_m2": "89.50", "amount": "980000.00"}
    totals = {"new_customers": 3, "visits": 2, "calls": 1, "calls_within_3_rings": 1, "holds": deal}
    totals |= {"subscriptions": deal, "contracts": deal, "cancellations": 0, "collected": "20000.00"}
    totals |= {"refunded": "0.00", "handovers": 0}
    data = {"org_id": region, "org_name": "华东", "date": "2026-03-04", "projects": 2, "totals": totals}
    env = new_envelope("daily-report", data, producer="leads", project_id=None)
    for _ in range(2):  # delivered twice: one message
        async with notifications.pool.acquire() as conn, conn.transaction():
            await consumers.on_daily_report(conn, env, topics.DAILY_REPORT.data_model.model_validate(data))
    async with notifications.pool.acquire() as conn:
        planned = await conn.fetch("SELECT * FROM reminders WHERE source_event = $1", str(env.id))
        assert [(r["recipient"], r["channel"], str(r["org_id"])) for r in planned] == [
            (f"role:group_manager:{region}", "in_app", region)
        ]
        plan = Planned("daily_report", "x", HALF_PAST_EIGHT, "role:group_manager:x", "in_app", "b")
        await use_cases.schedule(
            conn,
            [plan],
            project_id=None,
            customer_id=None,
            sale_id=None,
            source_event=str(uuid.uuid4()),
            org_id=region,
            now=HALF_PAST_EIGHT,
        )
        held = await conn.fetchval(
            "SELECT send_at FROM reminders WHERE offset_label = 'x' AND org_id = $1", uuid.UUID(region)
        )
    assert held == HALF_PAST_EIGHT  # 08:30 in Shanghai, inside the default quiet hours: not held to 09:00

    async def listed(headers) -> list[dict]:
        answer = await notifications.client.get(
            "/v1/notifications", params={"recipient": f"role:group_manager:{region}"}, headers=headers
        )
        assert answer.status_code == 200, answer.text
        return [m for m in answer.json() if "2026-03-04" in m["body"]]

    [message] = await async_wait_for(lambda: listed(_bearer(settings, "group_manager", [root])), timeout=30)
    assert message["channel"] == "in_app" and "华东" in message["body"] and "¥20000.00" in message["body"]
    assert await listed(_bearer(settings, "group_manager", [region])) == [message]
    assert await listed(_bearer(settings, "group_manager", [sibling])) == []
    assert await listed(_bearer(settings, "manager", [], [str(uuid.uuid4())])) == []
