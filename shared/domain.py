"""What every service's pure domain shares: the named refusal. No I/O here."""

from __future__ import annotations


class DomainError(Exception):
    """A rule said no; `code` is the contract's error code (the HTTP edge picks the status)."""

    code = "domain_error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code
