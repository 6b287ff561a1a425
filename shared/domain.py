"""What every service's pure domain shares: the named refusal. No I/O here."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A rule said no; `code` is the contract's error code. The HTTP edge (shared.web, in one place) answers
    with `status` when the class names one, else the status the code has across the platform (422 by default)."""

    code = "domain_error"
    status: int | None = None

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code

    def extra(self) -> dict[str, Any]:
        """More fields for the error body (e.g. who protects a customer); none by default."""
        return {}


class NotFound(DomainError):
    """No such thing, or not yours to see (the same answer, so existence does not leak): 404."""

    code = "not_found"
    status = 404


class Conflict(DomainError):
    """The current state does not allow it: 409; the code names which state."""

    code = "conflict"
    status = 409
