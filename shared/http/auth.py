"""JWT bearer auth (HS256): sub, name, role, projects, and (v1.2) orgs for a group manager. 401 for no or bad token,
403 for wrong role or project. A group manager acts as a manager in every project of their units' subtrees: the
projects are read from the service's own copy of the group's tree when the request comes (`reach`)."""

from __future__ import annotations

import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Annotated

import jwt
from fastapi import Depends, Request
from jwt.warnings import InsecureKeyLengthWarning

from shared.http.api_errors import Forbidden, Unauthorized
from shared.http.roles import GROUP_MANAGER, OUTSIDE_ROLES, ROLES, ROLES_KEY

# The development secret is short on purpose; `estate serve` warns once at start instead of per request.
warnings.filterwarnings("ignore", category=InsecureKeyLengthWarning)

Reach = Callable[[frozenset[str]], Awaitable[frozenset[str]]]  # org units → the projects in their subtrees


@dataclass(frozen=True)
class Principal:
    """The member of staff making a request."""

    sub: str
    role: str
    projects: frozenset[str] = field(default_factory=frozenset)
    name: str | None = None
    orgs: frozenset[str] = field(default_factory=frozenset)  # a group manager's units (their subtrees)

    def works_on(self, project_id: str) -> bool:
        """Admins see every project; everyone else the ones in their token."""
        return self.role == "admin" or project_id in self.projects

    def may(self, *roles: str) -> bool:
        """Whether this person acts in one of `roles`: admin always; a group manager where a manager may."""
        return self.role == "admin" or self.role in roles or (self.role == GROUP_MANAGER and "manager" in roles)

    @property
    def acting_role(self) -> str:
        """The role this person acts in within a project they reach: a group manager acts as its manager."""
        return "manager" if self.role == GROUP_MANAGER else self.role

    def require_role(self, *roles: str) -> None:
        """403 unless this person acts in one of `roles` (admin always; a group manager where a manager may)."""
        if not self.may(*roles):
            raise Forbidden("wrong_role", f"role {self.role} may not do this")

    def require_project(self, project_id: str) -> None:
        """403 unless this person works on `project_id`."""
        if not self.works_on(str(project_id)):
            raise Forbidden("wrong_project", "you do not work on this project")


_VERIFIED: dict[tuple[str, str], tuple[Principal, float]] = {}
_VERIFIED_MAX = 10_000


def decode_token(token: str, secret: str) -> Principal:
    """Verified principal of a token; a token seen before is not verified again until it expires."""
    hit = _VERIFIED.get((token, secret))
    if hit is not None and hit[1] > time.time():
        return hit[0]
    principal, expires = _verify(token, secret)
    if len(_VERIFIED) >= _VERIFIED_MAX:
        _VERIFIED.clear()
    _VERIFIED[(token, secret)] = (principal, expires)
    return principal


def _verify(token: str, secret: str) -> tuple[Principal, float]:
    """Verify the signature and expiry and read the claims; 401 on anything wrong."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub", "exp"]})
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid_token", f"bad token: {exc}") from exc
    role, projects, orgs = claims.get("role"), claims.get("projects", []), claims.get("orgs", [])
    if role not in ROLES or not isinstance(projects, list) or not isinstance(orgs, list):
        raise Unauthorized("invalid_token", "token lacks a valid role, projects or orgs claim")
    principal = Principal(
        sub=str(claims["sub"]),
        role=role,
        projects=frozenset(map(str, projects)) if role != GROUP_MANAGER else frozenset(),
        name=claims.get("name"),
        orgs=frozenset(map(str, orgs)) if role == GROUP_MANAGER else frozenset(),
    )
    return principal, float(claims["exp"])


def principal_from_header(header: str | None, secret: str) -> Principal:
    """The principal of an `Authorization: Bearer …` header."""
    if not header or not header.lower().startswith("bearer "):
        raise Unauthorized("missing_token", "Authorization: Bearer <JWT> required")
    return decode_token(header[7:].strip(), secret)


async def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the authenticated principal (cached on the request); a group manager's projects are
    those under their units as the service knows the tree now (checked at the moment of use, not at sign-in)."""
    cached = getattr(request.state, "principal", None)
    if cached is None:
        cached = principal_from_header(request.headers.get("authorization"), request.app.state.settings.jwt_secret)
        if cached.role == GROUP_MANAGER:
            reach: Reach | None = getattr(request.app.state, "reach", None)
            cached = replace(cached, projects=await reach(cached.orgs) if reach is not None else frozenset())
        if cached.role in OUTSIDE_ROLES:
            _require_declared(request, cached.role)
        request.state.principal = cached
    return cached


def _require_declared(request: Request, role: str) -> None:
    """403 unless the route declares this outside role among those who may call it (its operation's `x-roles`)."""
    path = getattr(request.scope.get("route"), "path", None)
    operation = request.app.openapi().get("paths", {}).get(path, {}).get(request.method.lower(), {})
    if role not in operation.get(ROLES_KEY, ()):
        raise Forbidden("wrong_role", f"role {role} may not do this")


# The caller of a route, as a parameter type: `who: Who` (FastAPI resolves the dependency).
Who = Annotated[Principal, Depends(current_principal)]
