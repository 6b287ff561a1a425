"""Read-only links (issue 11's board, issue 22's dashboard): signed for what they show, expiring, one key per kind —
a board link opens no dashboard, and neither is a bearer token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shared.kernel.errors import InvalidInput
from shared.trust.links import LinkExpired, LinkInvalid, make_link, read_link

NOW = datetime(2026, 3, 5, 0, 30, tzinfo=UTC)


def test_a_link_carries_what_it_shows_until_it_expires() -> None:
    token, expires = make_link("s", "dashboard", {"org": "o-1"}, NOW, 12, 72)
    assert expires == NOW + timedelta(hours=12)
    assert read_link("s", "dashboard", token, NOW + timedelta(hours=11))["org"] == "o-1"
    with pytest.raises(LinkExpired):
        read_link("s", "dashboard", token, expires)


def test_a_link_of_one_kind_or_secret_opens_nothing_else() -> None:
    board, _ = make_link("s", "board", {"pid": "p"}, NOW, 1, 72)
    for kind, secret, token in (("dashboard", "s", board), ("board", "other", board), ("board", "s", board + "x")):
        with pytest.raises(LinkInvalid):
            read_link(secret, kind, token, NOW)
    bearer = jwt.encode({"sub": "x", "exp": 9999999999, "typ": "dashboard"}, "s", algorithm="HS256")
    with pytest.raises(LinkInvalid):
        read_link("s", "dashboard", bearer, NOW)  # signed with the platform secret itself: a token, not a link


@pytest.mark.parametrize("hours", [0, 73, -1])
def test_a_link_lasts_one_to_the_kinds_most_hours(hours: int) -> None:
    with pytest.raises(InvalidInput) as refused:
        make_link("s", "dashboard", {}, NOW, hours, 72)
    assert refused.value.code == "invalid_hours"
