"""What a route reads from a request: ids from the path or query, headers from the raw scope, the thing its path
names through a use case, a project-wide route's checks; and hand-built JSON bodies."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, Literal, ParamSpec, TypeVar, overload

import asyncpg
import orjson
from fastapi import Request

from shared.http.api_errors import ApiError
from shared.http.auth import Principal


@overload
def parse_uuid(value: str | None, what: str, optional: Literal[False] = False) -> uuid.UUID: ...


@overload
def parse_uuid(value: str | None, what: str, optional: Literal[True]) -> uuid.UUID | None: ...


def parse_uuid(value: str | None, what: str, optional: bool = False) -> uuid.UUID | None:
    """An id from a path or a query; 422 `invalid_request` naming `what` when it is not one."""
    if value is None and optional:
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise ApiError("invalid_request", f"{what} is not a valid id", 422) from None


def header(scope: dict, name: bytes) -> str | None:
    """A request header's value from an ASGI scope (names are lower case)."""
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def json_bytes(payload: Any) -> bytes:
    """orjson with Decimal support for hand-built responses."""
    return orjson.dumps(payload, default=str)


Finder = Callable[[Any, uuid.UUID, Callable[[str], None]], Awaitable[Any]]


def by_path_id(find: Finder, what: str) -> Callable[[Any, str, Principal], Awaitable[Any]]:
    """A route's lookup of the thing its path names: the id parsed (422 `invalid_request` naming `what`), then
    the use case `find`s it within the caller's projects (404 when there is none, 403 for another project)."""

    async def lookup(conn: Any, raw_id: str, who: Principal) -> Any:
        return await find(conn, parse_uuid(raw_id, what), who.require_project)

    return lookup


def pool_of(request: Request) -> asyncpg.Pool:
    """The service's connection pool, for a route: `async with pool_of(request).acquire() as conn`."""
    return request.app.state.runtime.pool


P = ParamSpec("P")
T = TypeVar("T")


async def in_pool(
    request: Request,
    use_case: Callable[Concatenate[asyncpg.Connection, P], Awaitable[T]],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """A route's whole body when it is one use case: `use_case(conn, *args)` on a connection of the service's pool."""
    async with pool_of(request).acquire() as conn:
        return await use_case(conn, *args, **kwargs)


async def found_in_pool(
    request: Request,
    find: Callable[[asyncpg.Connection, str, Principal], Awaitable[Any]],
    raw_id: str,
    who: Principal,
    use_case: Callable[..., Awaitable[T]],
    *args: Any,
) -> T:
    """A route's whole body when it finds the thing its path names (`find`: a `by_path_id` lookup) and hands it to
    one use case: `use_case(conn, thing, *args)` on a connection of the service's pool."""
    async with pool_of(request).acquire() as conn:
        return await use_case(conn, await find(conn, raw_id, who), *args)


def project_in_scope(who: Principal, project_id: str | None, *roles: str) -> uuid.UUID:
    """A project-wide route's first checks, in the order docs/api.md documents: the role (403), the id (422), the
    project in the token (403)."""
    who.require_role(*roles)
    pid = parse_uuid(project_id, "project_id")
    who.require_project(str(pid))
    return pid
