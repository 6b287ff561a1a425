"""Issue 25, a fair opening (开盘): an order nobody alone can choose. Entry closes and the entrant list is published
as a digest; then each party (sales control or the manager, and a notary) commits to a secret by its SHA-256, and
only once every party has committed do they reveal. The seed is derived from the digest and every secret, so no
party steers the order unless all collude; whoever reveals last can withhold their secret (the opening is then
never drawn, and that stays on record) but cannot choose. Pure: no clock, no I/O.

    entrants_digest = sha256("\\n".join(sorted(customer ids)))           (ids lowercase with hyphens, no final \\n)
    commitment      = sha256(secret)                                    (the secret's UTF-8)
    seed            = sha256(entrants_digest + "\\n" + "\\n".join(secrets ordered by party name))
    order           = the v1.1 lottery with that seed (`domain.openings.draw_order`)

Every hash is SHA-256 as lowercase hex; party names are ordered by Unicode code point (Python's `sorted`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from services.inventory.domain.openings import AlreadyDrawn, NoEntrants, OpeningStarted
from shared.kernel.errors import refusal

PARTY_LENGTH = (1, 64)  # characters of a party's name
SECRET_LENGTH = (1, 1024)  # characters of a secret (32 random bytes as hex are 64)
MIN_PARTIES = 2  # at least two parties, one of them a notary's, before anyone reveals

EntryClosed = refusal("EntryClosed", "entry_closed", "Issue 25: once entry closed, the entrant list is fixed.", 409)
EntryOpen = refusal("EntryOpen", "entry_open", "Issue 25: parties commit once entry is closed (its digest known).", 409)
RevealStarted = refusal(
    "RevealStarted", "reveal_started", "Issue 25: no party commits once the first secret is revealed.", 409
)
PartyCommitted = refusal("PartyCommitted", "party_committed", "Issue 25: each party commits once.", 409)
AlreadyRevealed = refusal("AlreadyRevealed", "already_revealed", "Issue 25: each party reveals once.", 409)
CommitmentMismatch = refusal(
    "CommitmentMismatch", "commitment_mismatch", "Issue 25: a secret must hash to its party's commitment.", 422
)
NotaryRequired = refusal(
    "NotaryRequired", "notary_required", "Issue 25: nobody reveals before a notary has committed.", 409
)
SecondPartyRequired = refusal(
    "SecondPartyRequired",
    "second_party_required",
    "Issue 25: nobody reveals before at least two parties have committed (a lone party would choose the order).",
    409,
)
UnknownParty = refusal("UnknownParty", "unknown_party", "Issue 25: only a party that committed reveals.", 422)
SeedByCommitment = refusal(
    "SeedByCommitment",
    "seed_by_commitment",
    "Issue 25: an opening that took a commitment is drawn by its reveals, never with a typed seed.",
    409,
)


def sha256_hex(text: str) -> str:
    """SHA-256 of the text's UTF-8, as lowercase hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def entrants_digest(customer_ids: Iterable[str]) -> str:
    """The entrant list as published at close of entry: the ids (lowercase, hyphenated) sorted as strings, one a
    line, no final newline. Each id once, whatever order or repeats they come in."""
    return sha256_hex("\n".join(sorted({c.lower() for c in customer_ids})))


def commitment_of(secret: str) -> str:
    """What a party publishes before anyone reveals: the SHA-256 of its secret."""
    return sha256_hex(secret)


def seed_of(digest: str, secrets: Mapping[str, str]) -> str:
    """The opening's seed from its entrant digest and every party's secret (party name → secret), the secrets in
    the order of their parties' names by code point."""
    return sha256_hex(digest + "\n" + "\n".join(secrets[party] for party in sorted(secrets)))


@dataclass(frozen=True)
class Party:
    """One committed party as the rules see it."""

    name: str
    commitment: str
    notary: bool
    revealed: bool


@dataclass(frozen=True)
class Entry:
    """Where an opening stands for its commitments: entry closed, drawn, and when it starts."""

    closed: bool
    drawn: bool
    starts_at: datetime


def check_entry_open(closed: bool) -> None:
    """Entrants join only while entry is open."""
    if closed:
        raise EntryClosed("entry is closed: its entrant list is fixed and published by its digest")


def check_closable(entry: Entry, entrants: int, now: datetime) -> None:
    """Entry closes once, before the draw and the start, on an opening with entrants."""
    if entry.drawn:
        raise AlreadyDrawn("the opening is drawn: its entry closed with the draw")
    if entry.closed:
        raise EntryClosed("entry is closed already: its digest is published")
    if now >= entry.starts_at:
        raise OpeningStarted(f"the opening started at {entry.starts_at.isoformat()}: too late to close its entry")
    if entrants == 0:
        raise NoEntrants("no entrants: add the registered customers before closing entry")


def check_commit(entry: Entry, parties: list[Party], party: str, now: datetime) -> None:
    """A party commits after entry closed, before anyone revealed and before the start, once."""
    closed, starts_at = entry.closed, entry.starts_at
    if entry.drawn and not parties:
        raise AlreadyDrawn("the opening is drawn with a typed seed: it takes no commitments")
    if not closed:
        raise EntryOpen("entry is still open: close it first, so the commitments follow a published entrant list")
    if any(p.revealed for p in parties):
        raise RevealStarted("a secret is revealed already: no party commits now")
    if now >= starts_at:
        raise OpeningStarted(f"the opening started at {starts_at.isoformat()}: it takes no commitments")
    if any(p.name == party for p in parties):
        raise PartyCommitted(f"party {party!r} has committed already")


def check_reveal(entry: Entry, parties: list[Party], party: str, secret: str, now: datetime) -> None:
    """A party reveals once every party is in (two or more, a notary's among them), before the start, once, and
    only the secret its commitment named."""
    if entry.drawn and not parties:
        raise AlreadyDrawn("the opening is drawn with a typed seed: it takes no reveals")
    if not entry.closed:
        raise EntryOpen("entry is still open: nothing is committed yet")
    if not any(p.notary for p in parties):
        raise NotaryRequired("no notary has committed yet: nobody reveals before one has")
    if len(parties) < MIN_PARTIES:
        raise SecondPartyRequired(f"at least {MIN_PARTIES} parties commit before anyone reveals")
    mine = next((p for p in parties if p.name == party), None)
    if mine is None:
        raise UnknownParty(f"party {party!r} has not committed")
    if mine.revealed:
        raise AlreadyRevealed(f"party {party!r} has revealed already")
    if now >= entry.starts_at:
        raise OpeningStarted(f"the opening started at {entry.starts_at.isoformat()} undrawn: it is never drawn")
    if commitment_of(secret) != mine.commitment:
        raise CommitmentMismatch(f"this secret does not hash to party {party!r}'s commitment")


def all_revealed(parties: list[Party]) -> bool:
    """Every committed party has revealed (and the reveals could start: two or more, a notary's among them)."""
    ready = len(parties) >= MIN_PARTIES and any(p.notary for p in parties)
    return ready and all(p.revealed for p in parties)


def check_typed_draw(committed: bool) -> None:
    """A typed seed draws only an opening that took no commitment (v1.1)."""
    if committed:
        raise SeedByCommitment("this opening took commitments: it is drawn when every party has revealed")
