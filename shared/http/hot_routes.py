"""Hot routes (issue 13): the few requests that come in storms are answered before the framework.

On opening day every consultant posts a hold at once and most of them lose; each answer used to cost the
service several times what it cost the database, nearly all of it in the framework's layers (routing,
dependency injection, response validation, its own middleware). A hot route is a plain async function that
answers the common shape of one request from the raw ASGI scope and body, calling the same use case as the
framework's route. Whatever it does not recognise it hands back (`None`), and the request then runs through
the full stack as before: an odd body, a missing token, an Idempotency-Key, a NUL. So every error the hot
route does not produce itself is still the framework's, with one mapping (`shared.web.refusal_answer`).

What the hot route keeps from the stack: the correlation id in and out, the route's request count and latency,
the body limit, and a crash answered 500 in the API's error shape and logged. A hot route is the twin of a
framework route (the same method and path, `HotRoute.at` makes its pattern from that path); a service whose hot
route has no twin refuses to start.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi.routing import iter_route_contexts  # every route, those of included routers too

from shared.http.api_errors import ApiError
from shared.http.middleware import crashed, read_body, replay
from shared.http.refusals import ASGIApp, refusal_answer
from shared.kernel.errors import DomainError
from shared.runtime import metrics
from shared.runtime.logs import correlation_id, new_correlation_id

HotAnswer = tuple[int, bytes]  # status and a JSON body


@dataclass(frozen=True)
class HotRequest:
    """What a hot route reads: the path's match, the headers, the whole body and the app's state."""

    scope: dict
    match: re.Match[str]
    body: bytes
    headers: dict[bytes, bytes]  # read once

    def header(self, name: bytes) -> str | None:
        value = self.headers.get(name)
        return None if value is None else value.decode("latin-1")

    @property
    def state(self) -> Any:
        return self.scope["app"].state


@dataclass(frozen=True)
class HotRoute:
    """One route served before the framework; `template` is the framework route's path (the metrics label)."""

    method: str
    pattern: re.Pattern[str]
    template: str
    answer: Callable[[HotRequest], Awaitable[HotAnswer | None]]

    @classmethod
    def at(
        cls, method: str, template: str, answer: Callable[[HotRequest], Awaitable[HotAnswer | None]], **params: str
    ) -> HotRoute:
        """The hot twin of the framework's `method template` route, its pattern made from the same path: each
        `{name}` matches `params[name]` (a regular expression), the rest of the path itself."""
        names = re.findall(r"\{(\w+)\}", template)
        if sorted(names) != sorted(params):
            raise ValueError(f"{template}: a pattern for each of {names} and nothing else, got {sorted(params)}")
        pattern = re.sub(r"\\\{(\w+)\\\}", lambda m: f"(?P<{m[1]}>{params[m[1]]})", re.escape(template))
        return cls(method, re.compile(pattern), template, answer)


class HotRoutes:
    """ASGI: a hot route answers the requests it recognises; everything else runs through `app`."""

    def __init__(self, app: ASGIApp, routes: list[HotRoute], service: str, max_body_bytes: int) -> None:
        self.app, self.routes, self.service, self.max_body_bytes = app, routes, service, max_body_bytes
        self._observers: dict[tuple[str, int], Any] = {}

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        hit = self._match(scope) if scope["type"] == "http" else None
        if hit is None:
            return await self.app(scope, receive, send)
        body, whole = await read_body(receive, self.max_body_bytes)
        if not whole or b"\x00" in body or b"\\u0000" in body:  # the framework's guard answers these
            return await self.app(scope, replay(body, receive, more=not whole), send)
        await self._serve(hit[0], HotRequest(scope, hit[1], body, hit[2]), receive, send)

    def _match(self, scope: dict) -> tuple[HotRoute, re.Match[str], dict[bytes, bytes]] | None:
        for route in self.routes:
            found = route.pattern.fullmatch(scope["path"]) if scope["method"] == route.method else None
            if found is None:
                continue
            headers = dict(reversed(scope["headers"]))  # the first of a repeated name, as the framework reads it
            # a kept answer (Idempotency-Key) and odd URLs are the framework's business
            if b"idempotency-key" not in headers and b"\x00" not in scope["query_string"]:
                return route, found, headers
        return None

    async def _serve(self, route: HotRoute, request: HotRequest, receive: Callable, send: Callable) -> None:
        scope = request.scope
        cid = (request.header(b"x-correlation-id") or "")[:100] or new_correlation_id()
        token = correlation_id.set(cid)
        began, status = time.perf_counter(), 500
        try:
            answer = await _answer_or_refusal(route, request)
            if answer is None:
                status = 0  # the framework's stack observes it
                return await self.app(scope, replay(request.body, receive), send)
            status = answer[0]
            await _send(send, answer, cid)
        except Exception as exc:
            await crashed(exc, scope, receive, _with_cid(send, cid), started=status != 500)
        finally:
            if status:
                self._observe(route, status, time.perf_counter() - began)
            correlation_id.reset(token)

    def _observe(self, route: HotRoute, status: int, seconds: float) -> None:
        """The same series the framework's stack counts, with the children looked up once."""
        key = (route.template, status)
        if key not in self._observers:
            self._observers[key] = (
                metrics.HTTP_REQUESTS.labels(self.service, route.method, route.template, str(status)),
                metrics.HTTP_LATENCY.labels(self.service, route.method, route.template),
            )
        count, latency = self._observers[key]
        count.inc()
        latency.observe(seconds)


async def _send(send: Callable, answer: HotAnswer, cid: str) -> None:
    status, body = answer
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-correlation-id", cid.encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _answer_or_refusal(route: HotRoute, request: HotRequest) -> HotAnswer | None:
    """The route's answer; a refusal it raises leaves through the one mapping, as from the framework."""
    try:
        return await route.answer(request)
    except (DomainError, ApiError) as refused:
        status, body = refusal_answer(refused)
        return status, orjson.dumps(body)


def _with_cid(send: Callable, cid: str) -> Callable:
    async def sent(message: dict) -> None:
        if message["type"] == "http.response.start":
            message["headers"] = [*message.get("headers", []), (b"x-correlation-id", cid.encode())]
        await send(message)

    return sent


class HotRouteWithoutTwin(RuntimeError):
    """A hot route the framework does not also serve: the service refuses to start."""


def require_twins(app: Any, routes: list[HotRoute]) -> None:
    """Each hot route's method and path are a framework route's too: what the hot route hands back (and every
    request while `hot_routes` is off) must find the same route there, not a 404 or a 405."""
    served = {(method, twin.path) for twin in iter_route_contexts(app.routes) for method in twin.methods or ()}
    for route in routes:
        if (route.method, route.template) not in served:
            raise HotRouteWithoutTwin(
                f"the hot route {route.method} {route.template} has no framework route with the same method and path"
            )


def with_hot_routes(app: Any, routes: list[HotRoute], service: str, max_body_bytes: int) -> None:
    """Put the hot routes in front of a FastAPI app's whole stack (its own layers included); the app stays the
    object uvicorn and the tests hold, and its lifespan is untouched. Called once the app has its routes: a hot
    route without its framework twin stops the start here (`HotRouteWithoutTwin`)."""
    require_twins(app, routes)
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: HotRoutes(build(), routes, service, max_body_bytes)
