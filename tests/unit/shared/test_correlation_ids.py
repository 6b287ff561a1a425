"""Correlation ids made here (shared.logs): version-4 UUIDs in their usual text, different every time."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.runtime.logs import new_correlation_id


@settings(max_examples=50)
@given(st.integers(min_value=1, max_value=200))
def test_each_id_is_a_version_4_uuid_in_its_own_text_and_none_repeats(count: int) -> None:
    ids = [new_correlation_id() for _ in range(count)]
    parsed = [uuid.UUID(i) for i in ids]
    assert all(str(u) == i and u.version == 4 and u.variant == uuid.RFC_4122 for u, i in zip(parsed, ids, strict=True))
    assert len(set(ids)) == count
