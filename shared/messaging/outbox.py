"""Transactional outbox: record events with the state change; a relay publishes them in order.

Ordering: `add_event` takes a transaction-scoped advisory lock on the event key before the
insert, so two transactions that write events for one key get ids in commit order. The relay
reads `published_at IS NULL ORDER BY id` — never a high-water mark — so a row whose id is lower
than one already published (its transaction committed later) is still picked up.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from typing import Any, NamedTuple

import asyncpg

from shared.messaging.envelope import Envelope, new_envelope
from shared.messaging.topics import Topic
from shared.runtime.logs import correlation_id
from shared.runtime.settings import get_settings
from shared.trust.pii import Vault

KEY_LOCK_SPACE = 7311  # pg_advisory_xact_lock(hashtextextended(key, KEY_LOCK_SPACE)): ids in commit order per key
_INSERT = f"""
INSERT INTO outbox (event_id, topic, key, payload)
SELECT $1, $2, $3, $4 FROM (SELECT pg_advisory_xact_lock(hashtextextended($3, {KEY_LOCK_SPACE}))) AS key_lock
"""


async def add_event(
    conn: asyncpg.Connection,
    topic: Topic,
    data: dict[str, Any],
    *,
    project_id: str | None,
    causation_id: str | None = None,
) -> Envelope:
    """Record an event in the caller's transaction; it is published after the commit. The producer is the
    topic's own (the catalogue names it once)."""
    row = outbox_row(topic, data, project_id=project_id, causation_id=causation_id)
    await conn.execute(_INSERT, row.envelope.id, row.topic, row.key, row.payload)
    return row.envelope


class OutboxRow(NamedTuple):
    """An event as its outbox row holds it, for a statement that writes its state change and event at once."""

    envelope: Envelope
    topic: str
    key: str
    payload: bytes  # the envelope's JSON; sealed when the topic carries personal data (R18)


def outbox_row(
    topic: Topic, data: dict[str, Any], *, project_id: str | None, causation_id: str | None = None
) -> OutboxRow:
    """The outbox row of an event: data validated by the topic's model, the envelope with the current correlation
    id. Inserted by `add_event`, or by a store statement that takes the key lock (`KEY_LOCK_SPACE`) itself."""
    payload = topic.data_model.model_validate(data).model_dump(mode="json", exclude_none=False)
    env = new_envelope(
        topic.event_type,
        payload,
        producer=topic.producer,
        project_id=project_id,
        correlation_id=correlation_id.get(),
        causation_id=causation_id,
    )
    body = seal(env.to_bytes()) if topic.personal else env.to_bytes()
    return OutboxRow(env, topic.name, topic.key_of(payload), body)


_SEALED = b"sealed:"


@lru_cache(maxsize=1)
def _vault() -> Vault:
    return Vault(get_settings().pii_key)


def seal(payload: bytes) -> bytes:
    """A payload with personal data (R18) as it rests in the outbox: encrypted, kept for replay."""
    return _SEALED + _vault().encrypt(payload.decode())


def unseal(payload: bytes) -> bytes:
    """The payload as it is published."""
    payload = bytes(payload)
    return _vault().decrypt(payload[len(_SEALED) :]).encode() if payload.startswith(_SEALED) else payload


async def requeue_since(conn: asyncpg.Connection, since: datetime) -> int:
    """Mark published rows created at or after `since` for publishing again (in their id order)."""
    status = await conn.execute(
        "UPDATE outbox SET published_at = NULL WHERE created_at >= $1 AND published_at IS NOT NULL", since
    )
    await conn.execute("SELECT pg_notify('estate_outbox', '')")
    return int(status.split()[-1])


async def replay_service(settings: Any, service: str, since: datetime) -> int:
    """`estate outbox replay`: re-queue a service's events since `since`; its relay re-publishes them."""
    from shared.db.databases import service_dsn

    conn = await asyncpg.connect(service_dsn(settings, service))
    try:
        return await requeue_since(conn, since)
    finally:
        await conn.close()
