"""Issue 25, a fair opening: the entrant digest, the commitments and the seed derived from every secret, and the
order that follows — recomputed here with hashlib and hmac alone; the lottery's properties by Hypothesis (any entrant
order and any secrets in any order give the same queue; changing one secret changes it); each step refused by name."""

from __future__ import annotations

import hashlib
import hmac
import random
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.inventory.domain.fairness import (
    AlreadyRevealed,
    CommitmentMismatch,
    Entry,
    EntryClosed,
    EntryOpen,
    NotaryRequired,
    Party,
    PartyCommitted,
    RevealStarted,
    SecondPartyRequired,
    SeedByCommitment,
    UnknownParty,
    all_revealed,
    check_closable,
    check_commit,
    check_entry_open,
    check_reveal,
    check_typed_draw,
    commitment_of,
    entrants_digest,
    seed_of,
)
from services.inventory.domain.openings import AlreadyDrawn, NoEntrants, OpeningStarted, draw_order

START = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
BEFORE = START - timedelta(hours=1)
IDS = [str(uuid.UUID(int=i * 104_729 + 3)) for i in range(12)]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _queue(seed: str, ids: list[str]) -> list[str]:
    return sorted(set(ids), key=lambda c: (hmac.new(seed.encode(), c.encode(), hashlib.sha256).hexdigest(), c))


def _fair_queue(ids: list[str], secrets: dict[str, str]) -> list[str]:
    return draw_order(seed_of(entrants_digest(ids), secrets), ids)


def test_the_digest_is_of_the_ids_sorted_as_strings_one_a_line_without_a_final_newline() -> None:
    ids = ["b0000000-0000-0000-0000-000000000000", "a0000000-0000-0000-0000-00000000000f"]
    assert entrants_digest(ids) == _sha("a0000000-0000-0000-0000-00000000000f\nb0000000-0000-0000-0000-000000000000")
    assert entrants_digest([i.upper() for i in reversed(ids)] + ids) == entrants_digest(ids)  # case, order, repeats
    assert entrants_digest(ids) == entrants_digest(ids).lower() and len(entrants_digest(ids)) == 64


def test_the_seed_takes_the_secrets_by_party_name_in_code_point_order() -> None:
    digest = entrants_digest(IDS)
    secrets = {"公证处": "s3", "notary": "s2", "Sales": "s1", "élan": "s4"}  # "S" < "n" < "é" < "公" by code point
    assert seed_of(digest, secrets) == _sha(f"{digest}\ns1\ns2\ns4\ns3")
    assert commitment_of("s1") == _sha("s1")
    assert _fair_queue(IDS, secrets) == _queue(seed_of(digest, secrets), IDS)  # the v1.1 order with that seed


secret_maps = st.dictionaries(
    st.text(min_size=1, max_size=64), st.text(min_size=1, max_size=80), min_size=2, max_size=5
)
entrant_lists = st.lists(st.uuids().map(str), unique=True, min_size=1, max_size=80)


@settings(max_examples=150, deadline=None)
@given(ids=entrant_lists, secrets=secret_maps, shuffle=st.randoms(use_true_random=False))
def test_any_entrant_order_and_any_order_of_the_parties_give_the_same_queue(
    ids: list[str], secrets: dict[str, str], shuffle: random.Random
) -> None:
    entrants, parties = ids[:], list(secrets.items())
    shuffle.shuffle(entrants)
    shuffle.shuffle(parties)
    queue = _fair_queue(ids, secrets)
    assert _fair_queue(entrants + entrants[:3], dict(parties)) == queue  # joined in another order, some twice
    assert sorted(queue) == sorted(ids)  # everyone once
    assert queue == _queue(_sha(entrants_digest(ids) + "\n" + "\n".join(s for _, s in sorted(parties))), ids)


@settings(max_examples=150, deadline=None)
@given(ids=st.lists(st.uuids().map(str), unique=True, min_size=12, max_size=60), secrets=secret_maps, data=st.data())
def test_changing_any_one_secret_changes_the_seed_and_the_queue(
    ids: list[str], secrets: dict[str, str], data: st.DataObject
) -> None:
    party = data.draw(st.sampled_from(sorted(secrets)))
    other = data.draw(st.text(min_size=1, max_size=80).filter(lambda s: s != secrets[party]))
    changed = secrets | {party: other}
    digest = entrants_digest(ids)
    assert seed_of(digest, changed) != seed_of(digest, secrets)
    # 12 entrants or more: another seed gives the same queue with a chance of 1 in 12! (about 2·10⁻⁹)
    assert _fair_queue(ids, changed) != _fair_queue(ids, secrets)


@given(ids=entrant_lists, secrets=secret_maps)
def test_another_entrant_list_gives_another_seed(ids: list[str], secrets: dict[str, str]) -> None:
    one_more = [*ids, str(uuid.uuid4())]
    assert seed_of(entrants_digest(one_more), secrets) != seed_of(entrants_digest(ids), secrets)


OPEN, CLOSED = Entry(False, False, START), Entry(True, False, START)
SALES = Party("sales-control", commitment_of("a"), notary=False, revealed=False)
NOTARY = Party("notary", commitment_of("b"), notary=True, revealed=False)


def test_entry_closes_once_before_the_start_with_entrants() -> None:
    check_closable(OPEN, 3, BEFORE)
    for entry, entrants, now, refusal in (
        (Entry(True, True, START), 3, BEFORE, AlreadyDrawn),
        (CLOSED, 3, BEFORE, EntryClosed),
        (OPEN, 3, START, OpeningStarted),
        (OPEN, 0, BEFORE, NoEntrants),
    ):
        with pytest.raises(refusal):
            check_closable(entry, entrants, now)
    check_entry_open(False)
    with pytest.raises(EntryClosed):
        check_entry_open(True)


def test_a_party_commits_after_the_close_of_entry_before_any_reveal_once() -> None:
    check_commit(CLOSED, [SALES], "notary", BEFORE)
    revealed = Party("sales-control", SALES.commitment, False, revealed=True)
    for entry, parties, party, now, refusal in (
        (OPEN, [], "notary", BEFORE, EntryOpen),
        (CLOSED, [revealed, NOTARY], "third", BEFORE, RevealStarted),
        (CLOSED, [SALES], "sales-control", BEFORE, PartyCommitted),
        (CLOSED, [SALES], "notary", START, OpeningStarted),
        (Entry(True, True, START), [], "notary", BEFORE, AlreadyDrawn),  # drawn with a typed seed
    ):
        with pytest.raises(refusal):
            check_commit(entry, parties, party, now)


def test_a_party_reveals_the_secret_it_committed_to_once_a_notary_and_another_are_in() -> None:
    check_reveal(CLOSED, [SALES, NOTARY], "sales-control", "a", BEFORE)
    for entry, parties, party, secret, now, refusal in (
        (OPEN, [], "sales-control", "a", BEFORE, EntryOpen),
        (CLOSED, [SALES], "sales-control", "a", BEFORE, NotaryRequired),
        (CLOSED, [NOTARY], "notary", "b", BEFORE, SecondPartyRequired),
        (CLOSED, [SALES, NOTARY], "stranger", "a", BEFORE, UnknownParty),
        (CLOSED, [SALES, NOTARY], "sales-control", "not a", BEFORE, CommitmentMismatch),
        (CLOSED, [SALES, NOTARY], "sales-control", "a", START, OpeningStarted),
        (CLOSED, [SALES, Party("notary", NOTARY.commitment, True, True)], "notary", "b", BEFORE, AlreadyRevealed),
    ):
        with pytest.raises(refusal):
            check_reveal(entry, parties, party, secret, now)


def test_the_draw_comes_with_the_last_reveal_and_never_from_a_typed_seed() -> None:
    done = [Party(p.name, p.commitment, p.notary, True) for p in (SALES, NOTARY)]
    assert all_revealed(done) and not all_revealed([done[0], NOTARY])
    assert not all_revealed([done[1]])  # one party alone never draws
    check_typed_draw(False)
    with pytest.raises(SeedByCommitment):
        check_typed_draw(True)
