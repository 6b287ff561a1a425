"""Leads use cases for referrals (R34, 老带新): a new customer referred by an owner — by `referred_by`, a customer
of the project whose flat was handed over; v1.2, by the phone of an owner in any project of the group; when the
referred buyer's contract is signed both get the project's reward, and the referrer's project is told — unless the
referrer owns no flat (`not_an_owner`), a key visitor (R5) or the same person (`self_referral`) stands on both
sides: recorded, never rewarded."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import (
    REGISTERED,
    REWARDED,
    Party,
    mask_phone,
    owner_referral_status,
    referral_status,
    status_at_contract,
)
from services.leads.use_cases.projects import group_projects
from shared.messaging import topics
from shared.messaging.envelope import Envelope
from shared.messaging.outbox import add_event
from shared.messaging.topics import ContractSignedData
from shared.runtime.logs import log
from shared.trust.pii import Vault


async def note_referral(
    conn: asyncpg.Connection, vault: Vault, customer: dict[str, Any], said: tuple[str, str | None]
) -> None:
    """R34: `referred_by` naming another customer of the same project links the two, with what R5 and the
    self-referral rule say of it; any other text stays a note. `customer` is the new row (registered at its
    `now`); `said`: their name and, v1.2, the referrer's phone (normalised), which decides the referral when given
    (`_note_by_phone`)."""
    name, by_phone = said
    if by_phone is not None:
        return await _note_by_phone(conn, vault, customer, name, by_phone)
    referrer_id = _as_id(customer["referred_by"])
    row = await store.customer(conn, referrer_id) if referrer_id else None
    if row is None or row["project_id"] != customer["project_id"]:
        return
    referrer = _party(row, vault, owner=await store.owns_a_flat(conn, row["id"]))  # R34: only an owner is rewarded
    status = referral_status(referrer, _party_of_new(customer, name))
    await _keep(conn, customer, status, {"referrer_customer_id": row["id"], "referrer_project_id": row["project_id"]})


async def _note_by_phone(
    conn: asyncpg.Connection, vault: Vault, customer: dict[str, Any], name: str, phone: str
) -> None:
    """R34 by phone (v1.2): the referrer is the phone's owner — a customer whose unit was handed over — in any
    project of the group (this project's first); no owner there: recorded `not_an_owner`, never rewarded. The
    phone rests as its keyed hash and masked form only (R18)."""
    phone_hash = vault.phone_hash(phone)
    group = await group_projects(conn, customer["project_id"])
    row = await store.owner_by_phone(conn, phone_hash, group, customer["project_id"])
    owner = None if row is None else _party(row, vault, owner=True)
    status = owner_referral_status(owner, _party_of_new(customer, name))
    referrer = {"referrer_phone_hash": phone_hash, "referrer_phone_masked": mask_phone(phone)}
    if row is not None:
        referrer |= {"referrer_customer_id": row["id"], "referrer_project_id": row["project_id"]}
    await _keep(conn, customer, status, referrer)


async def _keep(conn: asyncpg.Connection, customer: dict[str, Any], status: str, referrer: dict[str, Any]) -> None:
    """The referral as registered, with the referrer as far as known and what R34 says of it already."""
    referral = {"id": uuid.uuid4(), "project_id": customer["project_id"], "customer_id": customer["id"]}
    await store.note_referral(conn, referral | referrer | {"status": status, "registered_at": customer["now"]})
    if status != REGISTERED:
        log("referral_never_rewarded", referral_id=str(referral["id"]), status=status)


def _party(row: asyncpg.Record, vault: Vault, owner: bool) -> Party:
    return Party(row["id"], row["visitor_type"], row["phone_hash"], vault.decrypt(row["name_enc"]), owner)


def _party_of_new(customer: dict[str, Any], name: str) -> Party:
    return Party(customer["id"], customer["visitor_type"], customer["phone_hash"], name)


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
    ids |= {"referrer_project_id": str(referral["referrer_project_id"] or referral["project_id"])}  # v1.2
    for who in (uuid.UUID(customer_id), referral["referrer_customer_id"]):  # the referrer's project is told too
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
    """R34: the project's referrals — its new customers' and (v1.2) those its owners made in the group's other
    projects —, oldest first, with their status; a referrer named by phone shows only masked (R18)."""
    rows = await store.referrals_page(conn, project_id, window)
    return [_referral(r) for r in rows]


def _referral(r: asyncpg.Record) -> dict[str, Any]:
    ids = ("id", "project_id", "customer_id", "referrer_customer_id", "referrer_project_id")
    return {name: str(r[name]) if r[name] else None for name in ids} | {
        "referrer_phone": r["referrer_phone_masked"],
        "status": r["status"],
        "reward": r["reward"],
        "registered_at": r["registered_at"].isoformat(),
        "rewarded_at": r["rewarded_at"].isoformat() if r["rewarded_at"] else None,
    }
