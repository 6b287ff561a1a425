"""A service's app running in this process against the test infrastructure, and events handed to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import httpx

from shared.messaging.envelope import Envelope, new_envelope
from shared.messaging.topics import Topic
from shared.runtime.service import ServiceSpec
from shared.runtime.serving import create_app
from shared.runtime.settings import Settings


@asynccontextmanager
async def running_app(spec: ServiceSpec, settings: Settings) -> AsyncIterator[SimpleNamespace]:
    """The app with its lifespan (pool, relay, consumers, jobs) and an HTTP client bound to it."""
    app = create_app(spec, settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=f"http://{spec.name}") as client:
            yield SimpleNamespace(app=app, client=client, pool=app.state.runtime.pool)


async def apply_event(svc: SimpleNamespace, handler: Any, topic: Topic, data: dict, project_id: str) -> Envelope:
    """Run a consumer handler on an event in one transaction, as the inbox would."""
    env = new_envelope(
        topic.event_type,
        topic.data_model.model_validate(data).model_dump(mode="json"),
        producer="test",
        project_id=project_id,
    )
    async with svc.pool.acquire() as conn, conn.transaction():
        await handler(conn, env, topic.data_model.model_validate(env.data))
    return env
