"""Refusals at the HTTP edge: the API's error body and the one mapping of domain refusals to HTTP statuses,
for the framework's routes and the hot routes alike; every route's documented error answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.http.api_errors import ApiError
from shared.kernel.errors import DomainError

ASGIApp = Callable[[dict, Callable, Callable], Awaitable[None]]
NOT_RUN = "estate.not_run"  # set in the scope when a request was refused before its handler ran
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "body_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
}


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorBody(BaseModel):
    """Every error answer: `{"error": {"code": "snake_case", "message": "…"}}`."""

    error: ErrorDetail


def error_response(status: int, code: str, message: str) -> JSONResponse:
    """The API's error body."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def validation_code(errors: Any) -> str:
    """The error code of a validation failure: a field type's own code (`invalid_amount`,
    `invalid_text`, `invalid_time` …) when one of its validators raised it, else `invalid_request`."""
    for error in errors:
        code = getattr((error.get("ctx") or {}).get("error"), "code", None)
        if isinstance(code, str):
            return code
    return "invalid_request"


# The one mapping of domain refusals to HTTP: a code's status is the same in every service.
CODE_STATUS = {
    "not_found": 404,
    "not_an_escort": 403,
    "invalid_signature": 401,
    "invalid_transition": 409,
    "unit_not_available": 409,
    "hold_not_live": 409,
    "project_code_taken": 409,
    "registration_busy": 409,
    "customer_protected": 409,
    "deposit_exists": 409,
    "hold_not_current": 409,
    "same_verifier": 409,
    "not_pending": 409,
    "not_refundable": 409,
    "sale_subscribed": 409,
    "not_bankable": 409,
    "not_verified": 409,
}


def domain_status(exc: DomainError) -> int:
    """The HTTP status of a domain refusal: the class's own, else the code's, else 422 (bad input)."""
    return exc.status or CODE_STATUS.get(exc.code, 422)


def refusal_answer(exc: DomainError | ApiError) -> tuple[int, dict[str, Any]]:
    """The status and error body of a refusal: the one mapping, for the framework and the hot routes."""
    if isinstance(exc, ApiError):
        return exc.status, exc.body()
    return domain_status(exc), {"error": {"code": exc.code, "message": str(exc), **exc.extra()}}


def install_error_handlers(app: FastAPI) -> None:
    """Every error leaves in the API's error shape; bad input is never a 500 (crashes: shared.middleware)."""

    @app.exception_handler(DomainError)
    @app.exception_handler(ApiError)
    async def _refused(_: Request, exc: DomainError | ApiError) -> JSONResponse:
        status, body = refusal_answer(exc)
        return JSONResponse(body, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        request.scope[NOT_RUN] = True
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:10])
        return error_response(422, validation_code(exc.errors()), problems[:2000] or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        request.scope[NOT_RUN] = True
        return error_response(exc.status_code, _HTTP_CODES.get(exc.status_code, "error"), str(exc.detail))


# The error answers every route may give, documented once with the API's error body (client SDKs read these).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in (
        (401, "no token, or a bad, expired or exp-less one"),
        (403, "wrong role or project"),
        (404, "not found, or not yours to see"),
        (409, "conflict with the current state"),
        (413, "body too large"),
        (422, "invalid input: the code names what"),
    )
}


def document_errors(app: FastAPI) -> None:
    """Make the OpenAPI document true: every operation's errors use the API's error body, not `{"detail": …}`."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    if status[:1] == "4" and "content" in response:
                        response["content"] = {
                            "application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}
                        }
        schema.get("components", {}).get("schemas", {}).pop("HTTPValidationError", None)
        schema.get("components", {}).get("schemas", {}).pop("ValidationError", None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
