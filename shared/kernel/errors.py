"""What every service's pure domain shares: the named refusal. No I/O here."""

from __future__ import annotations

from typing import Any, TypeVar


class DomainError(Exception):
    """A rule said no; `code` is docs/api.md's error code. The HTTP edge (shared.web, in one place) answers
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


class InvalidInput(DomainError):
    """Input the rules cannot take: 422 `invalid_request`, the message says which."""

    code = "invalid_request"


RowT = TypeVar("RowT")


def found(row: RowT | None, message: str) -> RowT:
    """The row a use case looked up, or `NotFound(message)` (404) when there is none."""
    if row is None:
        raise NotFound(message)
    return row


def refusal(name: str, code: str, doc: str, status: int | None = None) -> type[DomainError]:
    """A named refusal of one rule, declared in a line: `UnitNotAvailable = refusal("UnitNotAvailable",
    "unit_not_available", "R19: …")`. It is a class like any other (raise it, catch it, test for it)."""
    return type(name, (DomainError,), {"code": code, "status": status, "__doc__": doc})
