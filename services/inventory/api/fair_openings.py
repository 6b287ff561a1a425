"""Issue 25, a fair opening (开盘): entry closed with its digest, the parties' commitments and their reveals (the last
reveal draws the opening). A notary's token (role `notary`, claim `projects`) commits and reveals too."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import AfterValidator, BaseModel, Field

from services.inventory.api.openings import OpeningOut, opening_for
from services.inventory.domain.fairness import PARTY_LENGTH, SECRET_LENGTH
from services.inventory.use_cases import fair_openings as use_cases
from shared.http.auth import Who
from shared.http.fields import InvalidText
from shared.http.requests import pool_of

router = APIRouter(tags=["openings"])
PARTIES = ("sales_control", "manager", "notary")  # who commits and reveals (and admin)


def _unicode(value: str) -> str:
    """Text that is valid Unicode throughout (it is hashed as UTF-8): no NUL, no lone surrogate."""
    if "\x00" in value:
        raise InvalidText("text may not contain the NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidText("text must be valid Unicode (a lone surrogate is not)") from None
    return value


PartyName = Annotated[str, Field(min_length=PARTY_LENGTH[0], max_length=PARTY_LENGTH[1]), AfterValidator(_unicode)]
Secret = Annotated[str, Field(min_length=SECRET_LENGTH[0], max_length=SECRET_LENGTH[1]), AfterValidator(_unicode)]


class EntryClosedOut(BaseModel):
    """`entrants_digest`: SHA-256 (lowercase hex) of the entrants' ids, sorted as strings and joined by newlines."""

    opening_id: str
    entrants: int
    entrants_digest: str
    entry_closed_at: str


class NewCommitment(BaseModel):
    """`commitment`: the SHA-256 of the party's secret (its UTF-8), as hex (kept and shown lowercase)."""

    party: PartyName
    commitment: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{64}$")]


class CommitmentOut(BaseModel):
    """`notary`: the commitment came with a notary's token."""

    opening_id: str
    party: str
    commitment: str
    notary: bool
    committed_at: str


class NewReveal(BaseModel):
    party: PartyName
    secret: Secret


@router.post("/v1/openings/{opening_id}/close-entry", response_model=EntryClosedOut)
async def close_entry(opening_id: str, request: Request, who: Who) -> dict:
    """No more entrants (409 `entry_closed` after): the list is fixed and published as its digest; from now the
    project's holds follow the opening."""
    async with pool_of(request).acquire() as conn:
        row = await opening_for(conn, opening_id, who, "sales_control", "manager")
        return await use_cases.close_entry(conn, row, who.sub)


@router.post("/v1/openings/{opening_id}/commitments", status_code=201, response_model=CommitmentOut)
async def commit(opening_id: str, body: NewCommitment, request: Request, who: Who) -> dict:
    """A party commits to a secret by its SHA-256: after entry closed (409 `entry_open`), once per party (409
    `party_committed`), none after the first reveal (409 `reveal_started`)."""
    async with pool_of(request).acquire() as conn:
        row = await opening_for(conn, opening_id, who, *PARTIES)
        return await use_cases.commit(conn, row, body.party, body.commitment, who)


@router.post("/v1/openings/{opening_id}/reveals", response_model=OpeningOut)
async def reveal(opening_id: str, body: NewReveal, request: Request, who: Who) -> dict:
    """A party reveals its secret (422 `commitment_mismatch` unless it hashes to the commitment; once: 409
    `already_revealed`) once a notary (409 `notary_required`) and at least one other party have committed; the last
    reveal draws the opening with the seed derived from the entrant digest and every secret. The opening as `GET`
    shows it."""
    async with pool_of(request).acquire() as conn:
        row = await opening_for(conn, opening_id, who, *PARTIES)
        return await use_cases.reveal(conn, row, body.party, body.secret, who.sub)
