"""A consultant's book handed on when they leave a project (v1.2), as pure rules: who inherits each customer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.leads.domain import (
    ACTIVE_DAYS,
    InvalidInput,
    NoSuccessor,
    active_since,
    check_departure,
    deal_out,
    heirs_count,
)


def test_the_book_goes_round_the_heirs_by_consultant_id_in_the_books_order() -> None:
    book = [uuid.uuid4() for _ in range(5)]
    moves = deal_out(book, ["c-c", "c-b", "c-b"])  # named twice: still one heir
    assert moves == list(zip(book, ["c-b", "c-c", "c-b", "c-c", "c-b"], strict=True))
    assert heirs_count(moves) == {"c-b": 3, "c-c": 2}


@given(st.integers(min_value=0, max_value=200), st.sets(st.text(min_size=1, max_size=5), min_size=1, max_size=9))
def test_every_customer_moves_once_and_the_heirs_differ_by_one_at_most(size: int, heirs: set[str]) -> None:
    book = [uuid.uuid4() for _ in range(size)]
    moves = deal_out(book, list(heirs))
    assert [customer for customer, _ in moves] == book
    counts = heirs_count(moves)
    assert sum(counts.values()) == size and set(counts) <= heirs
    if size >= len(heirs):
        assert max(counts.values()) - min(counts.values()) <= 1


def test_nobody_to_take_a_book_is_refused_and_an_empty_book_needs_nobody() -> None:
    with pytest.raises(NoSuccessor) as refused:
        deal_out([uuid.uuid4()], [])
    assert refused.value.code == "no_successor" and refused.value.status == 409
    assert deal_out([], []) == [] and heirs_count([]) == {}


@pytest.mark.parametrize(
    ("leaver", "successor", "reason", "code"),
    [
        ("c-a", "c-a", "left", "invalid_successor"),
        ("c-a", " ", "left", "invalid_successor"),
        ("c-a", None, "  ", "reason_required"),
        (" ", None, "left", "consultant_required"),
    ],
)
def test_a_departure_names_who_leaves_why_and_somebody_else(leaver, successor, reason, code) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_departure(leaver, successor, reason)
    assert refused.value.code == code


def test_recently_active_means_the_last_thirty_days() -> None:
    now = datetime(2026, 5, 1, 10, tzinfo=UTC)
    assert active_since(now) == now - timedelta(days=ACTIVE_DAYS) and ACTIVE_DAYS == 30
