"""Idempotency-Key (API conventions): a retry with the same key gets the first answer and changes nothing.

- A key belongs to a person (the token's `sub`), not to the literal Authorization header.
- Only answers of requests that ran are kept: a body that could not be read, a validation failure,
  a 5xx or a crash releases the key, so the retry runs.
- The same key with another method, path or body → 422 `idempotency_key_reused`; a key still
  running → 409 `idempotency_in_progress`; a key over 255 characters → 422 `invalid_idempotency_key`.
- Keys expire after `idempotency_ttl_hours` (purged by a background job, ignored once expired).
- A route may declare answer fields shown once (a secret, issue 19: `Depends(shown_once("secret"))`): they are
  never stored, so a replay answers them as null and names them in `withheld`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from typing import Any

import orjson
from fastapi import Request
from fastapi.responses import Response

from shared.http.api_errors import ApiError
from shared.http.auth import principal_from_header
from shared.http.refusals import NOT_RUN, ASGIApp, error_response
from shared.http.requests import header

MAX_KEY_LENGTH = 255
SHOWN_ONCE = "estate.shown_once"  # set in the scope by a route: answer fields never kept for a replay


def shown_once(*fields: str) -> Callable[[Request], None]:
    """A route dependency declaring top-level answer fields that are shown to the caller once and never stored."""

    def declare(request: Request) -> None:
        request.scope[SHOWN_ONCE] = fields

    return declare


def withheld(body: bytes, fields: Sequence[str]) -> bytes:
    """The answer as it may be kept: each shown-once field present is nulled and named in `withheld`."""
    if not fields:
        return body
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):  # nothing we can vouch for: keep no part of it
        return orjson.dumps({"withheld": list(fields)})
    hidden = [name for name in fields if answer.get(name) is not None]
    return orjson.dumps({**answer, **dict.fromkeys(hidden), "withheld": hidden}) if hidden else body


class IdempotentPosts:
    """ASGI middleware for POST/PUT/DELETE with an `Idempotency-Key` header."""

    METHODS = {"POST", "PUT", "DELETE"}

    def __init__(self, app: ASGIApp, get_pool: Callable[[], Any], secret: str, ttl_hours: float) -> None:
        self.app, self.get_pool, self.secret, self.ttl_hours = app, get_pool, secret, ttl_hours

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        key = header(scope, b"idempotency-key") if scope["type"] == "http" else None
        if not key or scope["method"] not in self.METHODS:
            return await self.app(scope, receive, send)
        if len(key) > MAX_KEY_LENGTH or "\x00" in key:
            return await error_response(
                422, "invalid_idempotency_key", f"Idempotency-Key is at most {MAX_KEY_LENGTH} characters"
            )(scope, receive, send)
        sub = self._sub(scope)
        if sub is None:  # no valid token: the route answers 401 and nothing is kept
            return await self.app(scope, receive, send)
        request_hash = hashlib.sha256(scope.get("estate.body", b"")).hexdigest()
        if not await self._claim(sub, key, scope, request_hash):
            return await self._replay(sub, key, scope, request_hash, send)
        await self._run_and_keep(sub, key, scope, receive, send)

    def _sub(self, scope: dict) -> str | None:
        try:
            return principal_from_header(header(scope, b"authorization"), self.secret).sub
        except ApiError:
            return None

    async def _claim(self, sub: str, key: str, scope: dict, request_hash: str) -> bool:
        """Record the key as running; False when it is already known (and not expired)."""
        pool = self.get_pool()
        await pool.execute(
            "DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2"
            " AND created_at < now() - make_interval(secs => $3)",
            sub,
            key,
            self.ttl_hours * 3600,
        )
        first = await pool.fetchrow(
            "INSERT INTO idempotency_keys (key, principal, method, path, status, body, request_hash)"
            " VALUES ($1, $2, $3, $4, 0, '', $5) ON CONFLICT DO NOTHING RETURNING key",
            key,
            sub,
            scope["method"],
            scope["path"],
            request_hash,
        )
        return first is not None

    async def _run_and_keep(self, sub: str, key: str, scope: dict, receive: Callable, send: Callable) -> None:
        captured: dict[str, Any] = {"status": 500, "body": bytearray()}

        async def capture(message: dict) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        kept = False
        try:
            await self.app(scope, receive, capture)
            kept = captured["status"] < 500 and not scope.get(NOT_RUN)
        finally:
            await self._settle(sub, key, captured if kept else None, scope.get(SHOWN_ONCE, ()))

    async def _settle(self, sub: str, key: str, captured: dict | None, shown_once: Sequence[str] = ()) -> None:
        """Keep the answer of a request that ran; release the key of one that did not (or failed)."""
        pool = self.get_pool()
        if captured is None:
            await pool.execute("DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2", sub, key)
        else:
            await pool.execute(
                "UPDATE idempotency_keys SET status = $3, body = $4 WHERE principal = $1 AND key = $2",
                sub,
                key,
                captured["status"],
                withheld(bytes(captured["body"]), shown_once),
            )

    async def _replay(self, sub: str, key: str, scope: dict, request_hash: str, send: Callable) -> None:
        row = await self.get_pool().fetchrow(
            "SELECT method, path, status, body, request_hash FROM idempotency_keys WHERE principal = $1 AND key = $2",
            sub,
            key,
        )
        if row is None or row["status"] == 0:
            response: Response = error_response(
                409, "idempotency_in_progress", "a request with this Idempotency-Key is still running"
            )
        elif (row["method"], row["path"], row["request_hash"]) != (scope["method"], scope["path"], request_hash):
            response = error_response(
                422, "idempotency_key_reused", "this Idempotency-Key was used for a different request"
            )
        else:
            response = Response(
                bytes(row["body"]),
                status_code=row["status"],
                media_type="application/json",
                headers={"idempotent-replay": "true"},
            )
        await response(scope, None, send)  # type: ignore[arg-type]


async def purge_expired(conn: Any, ttl_hours: float) -> int:
    """Delete keys older than the time-to-live; the number deleted (a periodic job calls this)."""
    done = await conn.execute(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)", ttl_hours * 3600
    )
    return int(done.split()[-1])
