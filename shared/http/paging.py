"""Lists (contract v1.1 "Lists"): `limit` 1–500 (default 100) and an opaque `cursor`, a bare JSON list,
the next page in `Link: <…>; rel="next"`. Filters go into the query before the page is cut, so nothing
is ever dropped silently; the cursor is the sort key of the last item (keyset paging).
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import Depends, Query, Request
from fastapi.responses import Response

from shared.http.api_errors import ApiError

DEFAULT_LIMIT, MAX_LIMIT = 100, 500


@dataclass(frozen=True)
class Page:
    """Which page is asked for: at most `limit` items after the sort key `after` (None: from the start)."""

    limit: int = DEFAULT_LIMIT
    after: tuple[str, ...] | None = None

    def fetch_size(self) -> int:
        """Ask the store for one item more than the page: its presence says there is a next page."""
        return self.limit + 1


def encode_cursor(key: Sequence[Any]) -> str:
    """The opaque cursor for a sort key (strings, so times and ids survive the round trip)."""
    return base64.urlsafe_b64encode(orjson.dumps([str(k) for k in key])).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, ...]:
    """The sort key of a cursor; 422 `invalid_cursor` for anything this platform did not make."""
    try:
        key = orjson.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        raise ApiError("invalid_cursor", "cursor is not one this API gave out", 422) from None
    if not isinstance(key, list) or not all(isinstance(k, str) and "\x00" not in k for k in key):
        raise ApiError("invalid_cursor", "cursor is not one this API gave out", 422)
    return tuple(key)


def page_params(
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT), cursor: str | None = Query(None, max_length=512)
) -> Page:
    """FastAPI dependency: the page a list request asks for."""
    return Page(limit, decode_cursor(cursor) if cursor else None)


# A list route's page (`limit`, `cursor`), as a parameter type: `page: Paging` (FastAPI resolves the dependency).
Paging = Annotated[Page, Depends(page_params)]


def paged(
    request: Request,
    page: Page,
    items: list[Any],
    key_of: Callable[[Any], Sequence[Any]],
    render: Callable[[Any], Any] = lambda x: x,
) -> Response:
    """A bare JSON list of at most `page.limit` items, with `Link: rel="next"` when the store had more."""
    shown = items[: page.limit]
    headers = {}
    if len(items) > page.limit:
        url = request.url.include_query_params(limit=page.limit, cursor=encode_cursor(key_of(shown[-1])))
        headers["Link"] = f'<{url}>; rel="next"'
    return Response(
        orjson.dumps([render(i) for i in shown], default=str), media_type="application/json", headers=headers
    )


def after_time_and_id(page: Page) -> tuple[datetime, uuid.UUID] | None:
    """The common keyset: (a time, an id) the page starts after; 422 `invalid_cursor` for anything else."""
    if page.after is None:
        return None
    try:
        at, ident = page.after
        return datetime.fromisoformat(at), uuid.UUID(ident)
    except ValueError:
        raise ApiError("invalid_cursor", "cursor is not one this API gave out", 422) from None


def after_text_and_id(page: Page) -> tuple[str, uuid.UUID] | None:
    """A keyset of (a text such as a code or a path, an id); 422 `invalid_cursor` for anything else."""
    if page.after is None:
        return None
    try:
        text, ident = page.after
        return text, uuid.UUID(ident)
    except ValueError:
        raise ApiError("invalid_cursor", "cursor is not one this API gave out", 422) from None
