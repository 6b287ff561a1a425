"""Requests and events for the leads tests; every test uses its own project id and phone numbers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from services.leads import use_cases
from shared.http.tokens import make_token
from shared.messaging.envelope import Envelope, new_envelope
from shared.messaging.outbox import unseal
from shared.messaging.topics import Topic
from shared.tools.demo.driver import daytime  # noqa: F401  (the tests' next contacts: out of quiet hours)


def auth(settings, role: str, project: str, sub: str | None = None, name: str | None = None) -> dict[str, str]:
    token = make_token(settings.jwt_secret, sub or role + "-1", role, [project], name=name)
    return {"Authorization": f"Bearer {token}"}


def phone() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


async def register(leads, settings, pid: str, consultant: str = "c-a", **body: Any):
    payload = {"project_id": pid, "name": "Li Lei", "phone": phone(), "source": "walk_in"} | body
    return await leads.client.post(
        "/v1/customers", json=payload, headers=auth(settings, "consultant", pid, consultant, name=consultant.upper())
    )


async def apply(
    leads, handler, topic: Topic, data: dict, pid: str, occurred_at: datetime | None = None
) -> tuple[Envelope, list[dict]]:
    """Run a handler as the inbox would (one transaction); return the envelope and the events it wrote."""
    env = new_envelope(
        topic.event_type, topic.data_model.model_validate(data).model_dump(mode="json"), producer="test", project_id=pid
    )
    if occurred_at is not None:
        env = env.model_copy(update={"occurred_at": occurred_at})
    async with leads.pool.acquire() as conn, conn.transaction():
        await handler(conn, env, topic.data_model.model_validate(env.data))
        rows = await conn.fetch("SELECT topic, key, payload FROM outbox ORDER BY id")
    events = [{"topic": r["topic"], "key": r["key"], **orjson.loads(unseal(r["payload"]))} for r in rows]
    return env, [e for e in events if e.get("causation_id") == str(env.id)]


async def outbox_for(conn: asyncpg.Connection, topic: Topic, customer_id: str) -> list[dict]:
    rows = await conn.fetch(
        "SELECT payload FROM outbox WHERE topic = $1 AND key = $2 ORDER BY id", topic.name, customer_id
    )
    return [orjson.loads(unseal(r["payload"])) for r in rows]  # a hand-off rests sealed (R18)


async def backdate(leads, customer_id: str, days: float) -> None:
    """Move a customer's registration (and with it their protection, R10) `days` into the past."""
    async with leads.pool.acquire() as conn:
        await conn.execute(
            "UPDATE customers SET registered_at = registered_at - make_interval(secs => $2),"
            " last_touch_at = last_touch_at - make_interval(secs => $2),"
            " protected_until = protected_until - make_interval(secs => $2) WHERE id = $1",
            uuid.UUID(customer_id),
            days * 86400,
        )


async def an_owner(leads, customer_id: str) -> None:
    """R34: the customer owns a flat of the project: leads heard that one was handed over to them."""
    sale = (uuid.uuid4(), uuid.uuid4(), uuid.UUID(customer_id))
    async with leads.pool.acquire() as conn, conn.transaction():
        await use_cases.note_deal_step(conn, sale, "handed_over_at", datetime.now(UTC))
