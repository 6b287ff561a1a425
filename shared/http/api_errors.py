"""Errors in the API's error body: {"error": {"code": "snake_case", "message": "..."}}."""

from __future__ import annotations


class ApiError(Exception):
    """An answer other than success, with its HTTP status and error code."""

    status = 400

    def __init__(
        self, code: str, message: str, status: int | None = None, details: list | None = None, extra: dict | None = None
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.details, self.extra = code, message, details, extra
        if status is not None:
            self.status = status

    def body(self) -> dict:
        error: dict = {"code": self.code, "message": self.message, **(self.extra or {})}
        if self.details:
            error["details"] = self.details
        return {"error": error}


class Unauthorized(ApiError):
    status = 401


class Forbidden(ApiError):
    status = 403
