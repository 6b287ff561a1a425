"""Issue 11, the opening (开盘): the lottery (摇号) is a pure function of the published seed and the entrants, the
batch windows follow each other, and the hold rule while an opening is live."""

from __future__ import annotations

import hashlib
import hmac
import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.inventory.domain.openings import (
    MAX_ENTRANTS,
    AlreadyDrawn,
    BuyerLimitReached,
    NoEntrants,
    OpeningFull,
    OpeningStatus,
    Schedule,
    StartsInThePast,
    WindowNotOpen,
    batch_of,
    check_draw,
    check_hold,
    check_not_drawn,
    check_room,
    check_starts_ahead,
    current_batch,
    draw_order,
    span_end,
    status_at,
    windows,
)
from shared.messaging.envelope import new_envelope
from shared.messaging.topics import OPENING_DRAWN

START = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
SCHEDULE = Schedule(START, window_minutes=10, batch_size=2)
IDS = [str(uuid.UUID(int=i * 7919 + 1)) for i in range(9)]


def _recomputed(seed: str, customer_ids: list[str]) -> list[str]:
    """What a buyer runs at home (docs/openings.md): HMAC-SHA256(key=seed, msg=customer_id), ascending."""
    digest = {c: hmac.new(seed.encode(), c.encode(), hashlib.sha256).hexdigest() for c in set(customer_ids)}
    return sorted(digest, key=lambda c: (digest[c], c))


def test_the_order_is_deterministic_for_a_seed_and_recomputable_by_anyone() -> None:
    assert draw_order("published-seed", IDS) == draw_order("published-seed", IDS)
    assert draw_order("published-seed", IDS) == _recomputed("published-seed", IDS)
    assert draw_order("another-seed", IDS) != draw_order("published-seed", IDS)  # the seed decides
    assert sorted(draw_order("published-seed", IDS)) == sorted(IDS)


def test_the_order_does_not_depend_on_the_order_the_entrants_joined_in() -> None:
    shuffled = IDS[:]
    random.Random(11).shuffle(shuffled)
    assert draw_order("s", shuffled) == draw_order("s", IDS) == draw_order("s", [*IDS, *IDS])  # duplicates: once


@given(seed=st.text(min_size=1, max_size=40), ids=st.lists(st.uuids().map(str), max_size=60))
def test_any_seed_and_entrants_recompute_to_the_same_order(seed: str, ids: list[str]) -> None:
    assert draw_order(seed, ids) == _recomputed(seed, ids)


def test_windows_and_the_current_batch_at_their_boundaries() -> None:
    five = windows(SCHEDULE, 5)  # queue 1-2, 3-4, 5
    assert [(w.batch, w.queue_from, w.queue_to) for w in five] == [(0, 1, 2), (1, 3, 4), (2, 5, 5)]
    assert five[1].starts_at == START + timedelta(minutes=10) and five[1].ends_at == START + timedelta(minutes=20)
    assert span_end(SCHEDULE, 5) == START + timedelta(minutes=30)
    second = timedelta(seconds=1)
    assert current_batch(SCHEDULE, 5, START - second) is None
    assert current_batch(SCHEDULE, 5, START) == 0
    assert current_batch(SCHEDULE, 5, START + timedelta(minutes=10) - second) == 0
    assert current_batch(SCHEDULE, 5, START + timedelta(minutes=10)) == 1  # a window's end is the next one's start
    assert current_batch(SCHEDULE, 5, START + timedelta(minutes=30) - second) == 2
    assert current_batch(SCHEDULE, 5, START + timedelta(minutes=30)) is None
    assert [batch_of(q, 2) for q in (1, 2, 3, 4, 5)] == [0, 0, 1, 1, 2]


def test_the_status_moves_registering_drawn_live_closed() -> None:
    assert status_at(False, SCHEDULE, 5, START + timedelta(minutes=5)) is OpeningStatus.REGISTERING
    assert status_at(True, SCHEDULE, 5, START - timedelta(microseconds=1)) is OpeningStatus.DRAWN
    assert status_at(True, SCHEDULE, 5, START) is OpeningStatus.LIVE
    assert status_at(True, SCHEDULE, 5, START + timedelta(minutes=30)) is OpeningStatus.CLOSED


@given(
    entrants=st.integers(min_value=1, max_value=300),
    batch_size=st.integers(min_value=1, max_value=50),
    window_minutes=st.integers(min_value=1, max_value=1440),
)
def test_every_entrant_gets_one_queue_number_and_windows_never_overlap(
    entrants: int, batch_size: int, window_minutes: int
) -> None:
    schedule = Schedule(START, window_minutes, batch_size)
    ws = windows(schedule, entrants)
    numbers = [q for w in ws for q in range(w.queue_from, w.queue_to + 1)]
    assert numbers == list(range(1, entrants + 1))  # each queue number in exactly one batch
    assert all(w.starts_at < w.ends_at for w in ws)
    assert all(a.ends_at == b.starts_at for a, b in zip(ws, ws[1:], strict=False))  # back to back, no overlap
    assert all(batch_of(q, batch_size) == w.batch for w in ws for q in range(w.queue_from, w.queue_to + 1))
    assert ws[0].starts_at == START and ws[-1].ends_at == span_end(schedule, entrants)


@given(ids=st.lists(st.uuids().map(str), unique=True, min_size=1, max_size=80), batch_size=st.integers(1, 20))
def test_each_entrant_holds_in_exactly_one_window(ids: list[str], batch_size: int) -> None:
    schedule = Schedule(START, 15, batch_size)
    order = draw_order("seed", ids)
    assert sorted(order) == sorted(ids)
    for queue_no in range(1, len(order) + 1):
        opens = [w for w in windows(schedule, len(order)) if w.queue_from <= queue_no <= w.queue_to]
        assert len(opens) == 1
        check_hold(schedule, 1, queue_no, 0, opens[0].starts_at)  # in their window: no refusal


def test_the_hold_rule_while_an_opening_is_live() -> None:
    in_batch_1 = START + timedelta(minutes=10)
    check_hold(SCHEDULE, 1, 3, 0, in_batch_1)
    with pytest.raises(WindowNotOpen):
        check_hold(SCHEDULE, 1, 1, 0, in_batch_1)  # batch 0's window has closed
    with pytest.raises(WindowNotOpen):
        check_hold(SCHEDULE, 1, 5, 0, in_batch_1)  # batch 2's has not opened
    with pytest.raises(WindowNotOpen):
        check_hold(SCHEDULE, 1, None, 0, in_batch_1)  # not an entrant
    with pytest.raises(BuyerLimitReached):
        check_hold(SCHEDULE, 1, 3, 1, in_batch_1)
    check_hold(SCHEDULE, 2, 3, 1, in_batch_1)


def test_entrants_and_draws_are_refused_by_name() -> None:
    with pytest.raises(AlreadyDrawn):
        check_not_drawn(True)
    with pytest.raises(OpeningFull):
        check_room(MAX_ENTRANTS + 1)
    check_room(MAX_ENTRANTS)
    with pytest.raises(AlreadyDrawn):
        check_draw(True, 3)
    with pytest.raises(NoEntrants):
        check_draw(False, 0)


def test_the_largest_drawn_event_fits_one_kafka_message() -> None:
    """MAX_ENTRANTS in batches of one: every window is in the event, still under the producer's 1 MiB."""
    schedule = Schedule(START, 1440, 1)
    data = {"opening_id": str(uuid.uuid4()), "project_id": str(uuid.uuid4()), "seed": "f" * 128}
    data |= {"entrants": MAX_ENTRANTS, "windows": [w.__dict__ for w in windows(schedule, MAX_ENTRANTS)]}
    payload = OPENING_DRAWN.data_model.model_validate(data).model_dump(mode="json")
    envelope = new_envelope("opening-drawn", payload, producer="inventory", project_id=data["project_id"])
    assert len(envelope.to_bytes()) < 1_000_000


def test_the_documented_recipe_gives_the_services_order_and_windows() -> None:
    """docs/openings.md's snippet is what any buyer runs: it must agree with the service."""
    doc = (Path(__file__).resolve().parents[3] / "docs" / "openings.md").read_text(encoding="utf-8")
    snippet = doc.split("```python\n", 1)[1].split("```", 1)[0]
    assert len(snippet.strip().splitlines()) <= 12
    recipe: dict = {}
    exec(snippet, recipe)
    assert recipe["queue"]("published-seed", IDS) == draw_order("published-seed", IDS)
    for w in windows(SCHEDULE, 5):
        for queue_no in range(w.queue_from, w.queue_to + 1):
            assert recipe["window"](queue_no, START, 10, 2) == (w.starts_at, w.ends_at)


def test_an_opening_starts_after_the_moment_it_is_created() -> None:
    """Issue 19: an opening whose start is already past (or is this very instant) is refused, naming the field."""
    check_starts_ahead(START + timedelta(microseconds=1), START)
    for past in (START, START - timedelta(minutes=1)):
        with pytest.raises(StartsInThePast) as refused:
            check_starts_ahead(past, START)
        assert refused.value.code == "starts_at_in_past" and refused.value.extra() == {"field": "starts_at"}
        assert "starts_at" in str(refused.value)
