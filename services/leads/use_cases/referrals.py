"""Leads use cases for referrals (R34, 老带新): a new customer referred by an existing one (the owner of a home
or a customer of the project); when the referred buyer's contract is signed both get the project's reward."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.leads import store
from shared import catalogue as topics
from shared.catalogue import ContractSignedData
from shared.envelope import Envelope
from shared.outbox import add_event


async def note_referral(
    conn: asyncpg.Connection, project_id: uuid.UUID, customer_id: uuid.UUID, referred_by: str | None, now: datetime
) -> None:
    """R34: `referred_by` naming a customer of the same project links the two; any other text stays a note."""
    referrer = _as_id(referred_by)
    row = await store.customer(conn, referrer) if referrer else None
    if row is not None and row["project_id"] == project_id and row["id"] != customer_id:
        referral = {
            "id": uuid.uuid4(),
            "project_id": project_id,
            "referrer_customer_id": row["id"],
            "customer_id": customer_id,
            "registered_at": now,
        }
        await store.note_referral(conn, referral)


def _as_id(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None


async def reward_referral(conn: asyncpg.Connection, env: Envelope, data: ContractSignedData) -> None:
    """R34: the referred buyer signed: both are rewarded, once, with what the project's setting names then."""
    customer_id = uuid.UUID(data.customer_id)
    project = await store.customer(conn, customer_id)
    if project is None:
        return
    reward = (await store.project_rules(conn, project["project_id"])).referral_reward
    referral = await store.reward_referral(conn, customer_id, reward, env.occurred_at)
    if referral is None:
        return
    ids = {"referral_id": str(referral["id"]), "referrer_customer_id": str(referral["referrer_customer_id"])}
    for who in (customer_id, referral["referrer_customer_id"]):
        await store.add_timeline(conn, who, env.occurred_at, "referral_rewarded", ids | {"reward": reward})
    await add_event(
        conn,
        topics.REFERRAL_REWARDED,
        ids | {"customer_id": data.customer_id, "reward": reward},
        project_id=str(referral["project_id"]),
        causation_id=str(env.id),
    )


async def referrals_page(
    conn: asyncpg.Connection, project_id: uuid.UUID, window: tuple[Any, int]
) -> list[dict[str, Any]]:
    """R34: the project's referrals, oldest first, with their status."""
    rows = await store.referrals_page(conn, project_id, window)
    return [
        {
            "id": str(r["id"]),
            "referrer_customer_id": str(r["referrer_customer_id"]),
            "customer_id": str(r["customer_id"]),
            "status": r["status"],
            "reward": r["reward"],
            "registered_at": r["registered_at"].isoformat(),
            "rewarded_at": r["rewarded_at"].isoformat() if r["rewarded_at"] else None,
        }
        for r in rows
    ]
