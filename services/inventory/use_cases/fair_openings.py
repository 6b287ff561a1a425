"""Issue 25, a fair opening (开盘): entry closed and its digest published, each party's commitment, and the reveals.
The last reveal draws the opening, in its transaction, with the seed derived from the digest and every secret
(`domain.fairness`); an opening that took a commitment is never drawn with a typed seed. From the close of entry
the project's holds follow the opening (`openings.check_opening_rule`); an opening whose reveals do not all come
before its start lapses undrawn (the gate job records it: `opening_gate.let_openings_go_live`)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

import asyncpg

from services.inventory.domain.fairness import (
    Entry,
    Party,
    all_revealed,
    check_closable,
    check_commit,
    check_reveal,
    entrants_digest,
    seed_of,
)
from services.inventory.domain.openings import OpeningsOverlap, Schedule, span_end
from services.inventory.store import commitments as store
from services.inventory.store import openings as openings_store
from services.inventory.use_cases.openings import opening_view, publish_draw
from shared.http.auth import Principal
from shared.kernel.clock import now_utc
from shared.kernel.errors import found

NOTARY = "notary"  # the role whose commitments are a notary's (contract v1.2)


def _entry(row: Any) -> Entry:
    return Entry(row["entry_closed_at"] is not None, row["status"] == "drawn", row["starts_at"])


async def _locked(conn: asyncpg.Connection, opening_row: Any) -> Any:
    """The opening again, locked to the end of the transaction, with no draw of its project running meanwhile."""
    await openings_store.lock_project_draws(conn, opening_row["project_id"])
    return found(await openings_store.opening(conn, opening_row["id"], lock=True), "no such opening")


async def _parties(conn: asyncpg.Connection, opening_id: uuid.UUID) -> list[Party]:
    rows = await store.commitments(conn, opening_id)
    return [Party(r["party"], r["commitment"], r["notary"], r["secret"] is not None) for r in rows]


async def close_entry(conn: asyncpg.Connection, opening_row: Any, actor: str, now: datetime | None = None) -> dict:
    """No more entrants: the list is fixed and published as its digest, and from now the project's holds follow the
    opening. Its span (the end of its last window, known from the number of entrants) may meet no other opening's."""
    at = now or now_utc()
    async with conn.transaction():
        row = await _locked(conn, opening_row)
        check_closable(_entry(row), row["entrants"], at)
        ids = [str(c) for c in await openings_store.entrant_ids(conn, row["id"])]
        digest = entrants_digest(ids)
        ends_at = span_end(Schedule(row["starts_at"], row["window_minutes"], row["batch_size"]), len(ids))
        clash = await openings_store.overlapping_drawn(conn, row["project_id"], row["id"], row["starts_at"], ends_at)
        if clash is not None:
            raise OpeningsOverlap(f"opening {clash} of this project is drawn or closed for an overlapping time")
        await openings_store.close_entry(conn, row["id"], at, actor, digest, ends_at)
    return {
        "opening_id": str(row["id"]),
        "entrants": len(ids),
        "entrants_digest": digest,
        "entry_closed_at": at.isoformat(),
    }


async def commit(
    conn: asyncpg.Connection, opening_row: Any, party: str, commitment: str, who: Principal, now: datetime | None = None
) -> dict:
    """A party commits to its secret by the secret's SHA-256: after entry closed, before the first reveal, once per
    party. The party is a notary's when the commitment comes with a notary's token."""
    at = now or now_utc()
    async with conn.transaction():
        row = await _locked(conn, opening_row)
        check_commit(_entry(row), await _parties(conn, row["id"]), party, at)
        saved = await store.commit(conn, row["id"], party, commitment.lower(), who.role == NOTARY, who.sub, at)
    return {
        "opening_id": str(row["id"]),
        **{k: saved[k] for k in ("party", "commitment", "notary")},
        "committed_at": saved["committed_at"].isoformat(),
    }


async def reveal(
    conn: asyncpg.Connection, opening_row: Any, party: str, secret: str, actor: str, now: datetime | None = None
) -> dict:
    """A party reveals its secret once every party has committed; the reveal that completes them draws the opening
    with the derived seed, in the same transaction. The opening as `GET` shows it."""
    at = now or now_utc()
    async with conn.transaction():
        row = await _locked(conn, opening_row)
        parties = await _parties(conn, row["id"])
        check_reveal(_entry(row), parties, party, secret, at)
        await store.reveal(conn, row["id"], party, secret, actor, at)
        if all_revealed([replace(p, revealed=True) if p.name == party else p for p in parties]):
            secrets = {r["party"]: r["secret"] for r in await store.commitments(conn, row["id"])}
            await publish_draw(conn, row, seed_of(row["entrants_digest"], secrets), actor)
    return await opening_view(conn, found(await openings_store.opening(conn, row["id"]), "no such opening"), now)
