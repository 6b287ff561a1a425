"""The HTTP side every service shares: error bodies, correlation ids, metrics, Idempotency-Key."""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any, Awaitable, Callable

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared import metrics
from shared.errors import ApiError
from shared.logs import correlation_id, log

ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]
_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               409: "conflict", 415: "unsupported_media_type", 422: "invalid_request"}


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """The contract's error body."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves in the contract's shape; bad input is never a 500."""

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:10])
        return error_response(422, validation_code(exc.errors()), problems or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, _HTTP_CODES.get(exc.status_code, "error"), str(exc.detail))

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log("unhandled_error", error=repr(exc), exc_info=True)
        return error_response(500, "internal_error", "unexpected error; it has been logged")


def validation_code(errors: Any) -> str:
    """The contract code of a validation failure: a field type's own code (`invalid_amount`,
    `invalid_text`, `invalid_time` …) when one of its validators raised it, else `invalid_request`."""
    for error in errors:
        code = getattr((error.get("ctx") or {}).get("error"), "code", None)
        if isinstance(code, str):
            return code
    return "invalid_request"


class ObservedApp:
    """ASGI middleware: correlation id in and out, request count and latency by route template."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        incoming = _header(scope, b"x-correlation-id")
        cid = incoming or str(uuid.uuid4())
        token = correlation_id.set(cid)
        status = {"code": 500}
        started = time.perf_counter()

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = list(message.get("headers", [])) + [(b"x-correlation-id", cid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            metrics.HTTP_REQUESTS.labels(self.service, scope["method"], route, str(status["code"])).inc()
            metrics.HTTP_LATENCY.labels(self.service, scope["method"], route).observe(time.perf_counter() - started)
            correlation_id.reset(token)


class IdempotentPosts:
    """ASGI middleware: a POST/PUT/DELETE with `Idempotency-Key` answered once; a retry gets the first answer."""

    METHODS = {"POST", "PUT", "DELETE"}

    def __init__(self, app: ASGIApp, get_pool: Callable[[], Any]) -> None:
        self.app, self.get_pool = app, get_pool

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        key = _header(scope, b"idempotency-key") if scope["type"] == "http" else None
        if not key or scope["method"] not in self.METHODS:
            return await self.app(scope, receive, send)
        principal = hashlib.sha256((_header(scope, b"authorization") or "").encode()).hexdigest()
        pool = self.get_pool()
        first = await pool.fetchrow(
            "INSERT INTO idempotency_keys (key, principal, method, path, status, body) VALUES ($1, $2, $3, $4, 0, '')"
            " ON CONFLICT DO NOTHING RETURNING key", key, principal, scope["method"], scope["path"],
        )
        if first is None:
            return await self._replay(pool, key, principal, scope, send)
        captured = await self._run_capturing(scope, receive, send)
        if captured["status"] >= 500:
            await pool.execute("DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2", principal, key)
        else:
            await pool.execute("UPDATE idempotency_keys SET status = $3, body = $4 WHERE principal = $1 AND key = $2",
                               principal, key, captured["status"], bytes(captured["body"]))

    async def _run_capturing(self, scope: dict, receive: Callable, send: Callable) -> dict:
        captured: dict[str, Any] = {"status": 500, "body": bytearray()}

        async def send_wrapper(message: dict) -> None:
            if message["type"] == "http.response.start":
                captured["status"] = message["status"]
            elif message["type"] == "http.response.body":
                captured["body"] += message.get("body", b"")
            await send(message)

        await self.app(scope, receive, send_wrapper)
        return captured

    async def _replay(self, pool: Any, key: str, principal: str, scope: dict, send: Callable) -> None:
        row = await pool.fetchrow("SELECT method, path, status, body FROM idempotency_keys WHERE principal = $1 AND key = $2",
                                  principal, key)
        if row is None or row["status"] == 0:
            response: Response = error_response(409, "idempotency_in_progress", "a request with this key is still running")
        elif (row["method"], row["path"]) != (scope["method"], scope["path"]):
            response = error_response(422, "idempotency_key_reused", "this Idempotency-Key was used for another request")
        else:
            response = Response(bytes(row["body"]), status_code=row["status"], media_type="application/json",
                                headers={"idempotent-replay": "true"})
        await response(scope, None, send)  # type: ignore[arg-type]


def parse_uuid(value: str | None, what: str, optional: bool = False) -> uuid.UUID | None:
    """An id from a path or a query; 422 `invalid_request` naming `what` when it is not one."""
    if value is None and optional:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ApiError("invalid_request", f"{what} is not a valid id", 422) from None


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def json_bytes(payload: Any) -> bytes:
    """orjson with Decimal support for hand-built responses."""
    return orjson.dumps(payload, default=str)
