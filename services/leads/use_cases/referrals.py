"""Leads use cases for referrals (R34, 老带新): a new customer referred by an existing customer of the project; when
the referred buyer's contract is signed both get the project's reward if the referrer is an owner (a flat of the
project handed over to them) — a referrer who is not (`not_an_owner`), a key visitor on either side (R5) or the same
person on both (`self_referral`) is recorded and never rewarded."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import REGISTERED, REWARDED, Party, referral_status, status_at_contract
from shared.messaging import topics
from shared.messaging.envelope import Envelope
from shared.messaging.outbox import add_event
from shared.messaging.topics import ContractSignedData
from shared.runtime.logs import log
from shared.trust.pii import Vault


async def note_referral(
    conn: asyncpg.Connection, vault: Vault, customer: dict[str, Any], name: str, now: datetime
) -> None:
    """R34: `referred_by` naming another customer of the same project links the two, with what R5 and the
    self-referral rule say of it; any other text stays a note. `customer` is the new row, `name` theirs."""
    referrer_id = _as_id(customer["referred_by"])
    row = await store.customer(conn, referrer_id) if referrer_id else None
    if row is None or row["project_id"] != customer["project_id"]:
        return
    owner = await store.owns_a_flat(conn, row["id"])  # R34: only an owner is rewarded
    referrer = Party(row["id"], row["visitor_type"], row["phone_hash"], vault.decrypt(row["name_enc"]), owner)
    status = referral_status(referrer, Party(customer["id"], customer["visitor_type"], customer["phone_hash"], name))
    referral = {
        "id": uuid.uuid4(),
        "project_id": customer["project_id"],
        "referrer_customer_id": row["id"],
        "customer_id": customer["id"],
        "status": status,
        "registered_at": now,
    }
    await store.note_referral(conn, referral)
    if status != REGISTERED:
        log("referral_never_rewarded", referral_id=str(referral["id"]), status=status)


def _as_id(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(text) if text else None
    except ValueError:
        return None


async def reward_referral(conn: asyncpg.Connection, env: Envelope, data: ContractSignedData) -> None:
    """R34: the referred buyer signed: both are rewarded, once, with what the project's setting names then —
    unless a side has since become a key visitor (R5), or the referral was never to be rewarded."""
    referral = await store.referral_of_buyer(conn, uuid.UUID(data.customer_id))
    if referral is None:
        return
    status = status_at_contract(referral["status"], referral["referrer_type"], referral["referred_type"])
    if status == referral["status"]:
        return
    reward = (await store.project_rules(conn, referral["project_id"])).referral_reward if status == REWARDED else None
    if not await store.settle_referral(conn, referral["id"], status, reward, env.occurred_at):
        return
    if reward is None:
        log("referral_never_rewarded", referral_id=str(referral["id"]), status=status)
        return
    await _tell_reward(conn, env, referral, data.customer_id, reward)


async def _tell_reward(
    conn: asyncpg.Connection, env: Envelope, referral: asyncpg.Record, customer_id: str, reward: str
) -> None:
    """Both sides' timelines, and the event notifications tells them by (`referral-rewarded`)."""
    ids = {"referral_id": str(referral["id"]), "referrer_customer_id": str(referral["referrer_customer_id"])}
    for who in (uuid.UUID(customer_id), referral["referrer_customer_id"]):
        await store.add_timeline(conn, who, env.occurred_at, "referral_rewarded", ids | {"reward": reward})
    await add_event(
        conn,
        topics.REFERRAL_REWARDED,
        ids | {"customer_id": customer_id, "reward": reward},
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
