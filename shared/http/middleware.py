"""Pure ASGI middleware every service runs (no BaseHTTPMiddleware: nothing per request that can be done once).

- ObservedApp: correlation id in and out, request count and latency by route template, and the last line of
  defence: an unexpected exception is logged as an error with the correlation id and answered 500 in the
  API's error shape, without tearing down the keep-alive connection.
- InputGuard: a body over `max_body_bytes` → 413; a NUL character anywhere in the path, query or body → 422
  `invalid_text` (PostgreSQL text refuses it; refusing it here keeps every service from answering 500).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from shared.http.refusals import NOT_RUN, ASGIApp, error_response
from shared.http.requests import header
from shared.runtime import metrics
from shared.runtime.logs import correlation_id, log, new_correlation_id

_NUL_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")  # a JSON \u0000 not itself escaped


class HttpOnly:
    """An ASGI middleware that looks at HTTP requests only: lifespan and websocket scopes pass through."""

    app: ASGIApp

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        return await self.http(scope, receive, send)

    async def http(self, scope: dict, receive: Callable, send: Callable) -> None:
        raise NotImplementedError


class ObservedApp(HttpOnly):
    """Correlation id, route metrics, and crashes turned into a logged 500 that keeps the connection."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app, self.service = app, service

    async def http(self, scope: dict, receive: Callable, send: Callable) -> None:
        cid = (header(scope, b"x-correlation-id") or "")[:100] or new_correlation_id()
        token = correlation_id.set(cid)
        state = {"status": 500, "started": False}
        began = time.perf_counter()

        async def observed_send(message: dict) -> None:
            if message["type"] == "http.response.start":
                state["status"], state["started"] = message["status"], True
                message["headers"] = [*message.get("headers", []), (b"x-correlation-id", cid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        except Exception as exc:
            await crashed(exc, scope, receive, observed_send, bool(state["started"]))
        finally:
            self._observe(scope, int(state["status"]), time.perf_counter() - began)
            correlation_id.reset(token)

    def _observe(self, scope: dict, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        metrics.HTTP_REQUESTS.labels(self.service, scope["method"], route, str(status)).inc()
        metrics.HTTP_LATENCY.labels(self.service, scope["method"], route).observe(seconds)


async def crashed(exc: Exception, scope: dict, receive: Callable, send: Callable, started: bool) -> None:
    """The last line of defence: log the crash with the correlation id and answer 500 in the API's error shape
    (re-raised when the answer is half sent: nothing sensible can follow on that connection)."""
    log(
        "unhandled_error",
        level=logging.ERROR,
        exc_info=True,
        error=repr(exc)[:500],
        method=scope.get("method"),
        path=scope.get("path"),
    )
    scope[NOT_RUN] = True
    if started:
        raise exc
    await error_response(500, "internal_error", "unexpected error; it has been logged")(scope, receive, send)


class InputGuard(HttpOnly):
    """Body size limit and NUL refusal, before any route, for every service."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app, self.max_body_bytes = app, max_body_bytes

    async def http(self, scope: dict, receive: Callable, send: Callable) -> None:
        if "\x00" in scope.get("path", "") or _has_nul_query(scope.get("query_string", b"")):
            return await self._refuse(scope, receive, send, 422, "invalid_text", "NUL is not allowed in a URL")
        declared = header(scope, b"content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body_bytes:
            return await self._too_large(scope, receive, send)
        body, _ = await read_body(receive, self.max_body_bytes)
        if len(body) > self.max_body_bytes:
            return await self._too_large(scope, receive, send)
        if b"\x00" in body or (b"\\u0000" in body and _NUL_ESCAPE.search(body)):
            return await self._refuse(scope, receive, send, 422, "invalid_text", "text may not contain NUL")
        scope["estate.body"] = body  # a client that left before the end: what came (its answer goes nowhere)
        await self.app(scope, replay(body, receive), send)

    async def _too_large(self, scope: dict, receive: Callable, send: Callable) -> None:
        await self._refuse(
            scope, receive, send, 413, "body_too_large", f"the body may be at most {self.max_body_bytes} bytes"
        )

    @staticmethod
    async def _refuse(scope: dict, receive: Callable, send: Callable, status: int, code: str, message: str) -> None:
        scope[NOT_RUN] = True
        await error_response(status, code, message)(scope, receive, send)


def _has_nul_query(query: bytes) -> bool:
    return b"\x00" in query or b"%00" in query.lower()


async def read_body(receive: Callable, limit: int) -> tuple[bytes, bool]:
    """What the client sent, read until the end or until it passed `limit`, and whether that is the whole body
    (False: past the limit — the body is then longer than `limit` — or the client left before the end)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks), False
        if not message.get("more_body", False):
            return b"".join(chunks), True


def replay(body: bytes, receive: Callable, more: bool = False) -> Callable:
    """A receive that hands what was already read once (saying whether more follows), then defers to the real
    one (the rest of the body, disconnects)."""
    sent = False

    async def replayed() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replayed
