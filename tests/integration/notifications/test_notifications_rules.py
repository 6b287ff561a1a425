"""Issue 24 in notifications, on real PostgreSQL: cash not banked in time reaches finance and the manager in the app,
once (R24); the buyer is congratulated at handover, once (R32)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.notifications import consumers, use_cases
from services.notifications.app import build_spec
from services.notifications.channels import development_channels
from shared.messaging.envelope import new_envelope
from shared.messaging.topics import CASH_NOT_BANKED, HANDOVER_COMPLETED
from tests.support.apps import apply_event, running_app

DAYTIME = datetime(2031, 4, 8, 3, tzinfo=UTC)  # 11:00 in Shanghai: a fixed clock, out of quiet hours


@pytest.fixture(scope="module")
async def notifications(settings):
    async with running_app(build_spec(), settings) as svc:
        yield svc


async def _again(notifications, handler, topic, env) -> None:
    """The same event delivered twice (a duplicate the inbox would drop; the handler must not mind either)."""
    async with notifications.pool.acquire() as conn, conn.transaction():
        await handler(conn, env, topic.data_model.model_validate(env.data))


_DUE_LEFT = "SELECT count(*) FROM reminders WHERE project_id = $1 AND status = 'scheduled' AND send_at <= $2"


async def _sent(notifications, pid: str) -> list[tuple[str, str, str]]:
    """What the project's people were sent once everything due is settled. A message is planned at the real time
    of its event, so the running app's own dispatcher may be sending it (its row locked, SKIP LOCKED) while this
    one runs: wait, with a deadline, until nothing of the project is left due, whichever dispatcher sent it."""
    later, deadline = DAYTIME + timedelta(days=400), time.monotonic() + 10
    async with notifications.pool.acquire() as conn:
        while True:
            await use_cases.dispatch_due(conn, development_channels(), now=later)
            if not await conn.fetchval(_DUE_LEFT, uuid.UUID(pid), later):
                break
            assert time.monotonic() < deadline, "a due message was never settled"
            await asyncio.sleep(0.05)
        rows = await conn.fetch(
            "SELECT recipient, channel, body FROM notifications WHERE project_id = $1 ORDER BY recipient",
            uuid.UUID(pid),
        )
    return [tuple(r) for r in rows]


async def test_cash_not_banked_is_told_once_in_the_app_to_finance_and_the_manager_r24(notifications, settings) -> None:
    pid, deposit = str(uuid.uuid4()), str(uuid.uuid4())
    data = {"deposit_id": deposit, "hold_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4())}
    data |= {"customer_id": str(uuid.uuid4()), "amount": "8000.00", "receipt_no": "RG-000042"}
    data["banking_due_at"] = (DAYTIME - timedelta(days=1)).isoformat()
    env = await apply_event(notifications, consumers.on_cash_not_banked, CASH_NOT_BANKED, data, pid)
    await _again(notifications, consumers.on_cash_not_banked, CASH_NOT_BANKED, env)
    sent = await _sent(notifications, pid)
    assert [(r, c) for r, c, _ in sent] == [(f"role:finance:{pid}", "in_app"), (f"role:manager:{pid}", "in_app")]
    assert all(deposit in body and "RG-000042" in body and "8000.00" in body for _, _, body in sent)
    assert await _sent(notifications, pid) == sent  # told once


async def test_the_buyer_is_congratulated_at_handover_once_r32(notifications, settings) -> None:
    pid, customer, sale = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    data = {"sale_id": sale, "unit_id": str(uuid.uuid4()), "customer_id": customer}
    data |= {"handed_over_at": DAYTIME.isoformat(), "unit": {"building": "B1", "number": "1801"}}
    env = new_envelope(HANDOVER_COMPLETED.event_type, data, producer="test", project_id=pid)
    await _again(notifications, consumers.on_handover_completed, HANDOVER_COMPLETED, env)
    await _again(notifications, consumers.on_handover_completed, HANDOVER_COMPLETED, env)
    async with notifications.pool.acquire() as conn:
        planned = await conn.fetch("SELECT kind, recipient, channel FROM reminders WHERE sale_id = $1", uuid.UUID(sale))
    assert [tuple(r) for r in planned] == [("handover_congratulations", f"customer:{customer}", "wechat")]
    sent = await _sent(notifications, pid)
    assert len(sent) == 1 and sent[0][0] == f"customer:{customer}" and "恭喜" in sent[0][2] and "B1-1801" in sent[0][2]
