"""Bearer headers for the integration tests: a token for one role in one project."""

from __future__ import annotations

from shared.http.tokens import make_token
from shared.runtime.settings import Settings


def auth(settings: Settings, role: str, project: str, sub: str | None = None) -> dict[str, str]:
    """The Authorization header of `sub` (default `<role>-1`) acting as `role` in `project`."""
    return {"Authorization": f"Bearer {make_token(settings.jwt_secret, sub or role + '-1', role, [project])}"}
