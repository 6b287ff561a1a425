"""The connection pool of a service: JSON columns as Python values, no reset query, warmed connections."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import orjson

ConnectionInit = Callable[[asyncpg.Connection], Awaitable[None]]
POOL_MIN_SIZE = 2  # connections a pool keeps open, unless its service asks for more (ServiceSpec.pool_min_size)


async def create_pool(
    dsn: str,
    min_size: int = POOL_MIN_SIZE,
    max_size: int = 20,
    reset_query: bool = False,
    warm: ConnectionInit | None = None,
) -> asyncpg.Pool:
    """An asyncpg pool; statement cache on (prepared statements are reused); JSON columns in and out as Python
    values (see `json_codecs`); a released connection is not reset by query unless asked (`_session_is_clean`);
    `warm` readies each new connection further (a service's hot statements prepared before the first request)."""

    async def init(conn: asyncpg.Connection) -> None:
        await json_codecs(conn)
        if warm is not None:
            await warm(conn)

    return await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        command_timeout=30,
        init=init,
        reset=None if reset_query else _session_is_clean,
    )


async def _session_is_clean(_conn: asyncpg.Connection) -> None:
    """Issue 13: asyncpg's default reset runs `pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every
    release — one more round trip per request (a tenth of the hold path's CPU). Pooled connections carry no session
    state here: no SET, no cursors, advisory locks only per transaction (the relay's and the migrations' session
    locks sit on connections of their own), and the board feed unlistens before it gives its connection back. An
    open transaction is still rolled back by asyncpg before this runs."""


async def json_codecs(conn: asyncpg.Connection) -> None:
    """json and jsonb columns read as dicts and lists and take them as parameters (Decimals and times as
    strings), so no store decodes or encodes JSON by hand."""
    for name in ("json", "jsonb"):
        await conn.set_type_codec(name, schema="pg_catalog", encoder=_json_text, decoder=orjson.loads)


def _json_text(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()
