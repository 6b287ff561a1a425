"""One database per service: create it if missing, pool it, apply its migrations under a lock."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import orjson

from shared.logs import log
from shared.settings import SERVICES, Settings

SHARED_MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 7_311_001  # advisory lock key: one migrator at a time per database
_VERSION = re.compile(r"^(\d+)_[\w-]+\.sql$")


def database_name(settings: Settings, service: str) -> str:
    """The name of `service`'s own database."""
    return f"{settings.db_prefix}{service}"


def with_database(server_dsn: str, database: str) -> str:
    """The server DSN pointed at `database`."""
    parts = urlsplit(server_dsn)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


def service_dsn(settings: Settings, service: str) -> str:
    """DSN of `service`'s own database."""
    return with_database(settings.server_dsn(), database_name(settings, service))


async def ensure_database(settings: Settings, service: str) -> None:
    """Create `service`'s database if it does not exist (safe when several start at once)."""
    name = database_name(settings, service)
    conn = await asyncpg.connect(settings.server_dsn())
    try:
        if await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return
        try:
            await conn.execute(f'CREATE DATABASE "{name}"')
            log("database_created", database=name)
        except (asyncpg.DuplicateDatabaseError, asyncpg.UniqueViolationError):
            pass
    finally:
        await conn.close()


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


def window_args(window: tuple[tuple[Any, Any] | None, int]) -> tuple[Any, Any, int]:
    """A keyset page's query parameters: the cursor's two values (NULLs on the first page) and the page size."""
    after, limit = window
    at, ident = after or (None, None)
    return at, ident, limit


async def insert_row(conn: asyncpg.Connection, table: str, row: dict[str, Any], suffix: str = "") -> str:
    """INSERT one row of named columns (names from code, never from input); `suffix` such as an ON CONFLICT."""
    columns = ", ".join(row)
    values = ", ".join(f"${i}" for i in range(1, len(row) + 1))
    return await conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({values}) {suffix}".rstrip(), *row.values())


def migration_files(service_dir: Path | None) -> list[tuple[str, Path]]:
    """Shared then service migrations as (version id, path), in apply order."""
    found: list[tuple[str, Path]] = []
    for prefix, folder in (("shared", SHARED_MIGRATIONS), ("service", service_dir)):
        if folder is None or not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.sql")):
            if not _VERSION.match(path.name):
                raise ValueError(f"migration file name must be NNN_name.sql: {path}")
            found.append((f"{prefix}/{path.name}", path))
    return found


async def migrate(conn: asyncpg.Connection, service_dir: Path | None) -> list[str]:
    """Apply pending migrations in one transaction each, under an advisory lock; return applied ids."""
    await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations"
            " (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
        applied = []
        for version, path in migration_files(service_dir):
            if version in done:
                continue
            async with conn.transaction():
                await conn.execute(path.read_text())
                await conn.execute("INSERT INTO schema_migrations(version) VALUES ($1)", version)
            applied.append(version)
        return applied
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)


def service_migrations_dir(service: str) -> Path:
    """Where `service` keeps its SQL migrations."""
    return Path(__file__).parent.parent / "services" / service / "migrations"


async def migrate_service(settings: Settings, service: str, migrations_dir: Path | None = None) -> list[str]:
    """Create the service database if needed and bring its schema up to date."""
    await ensure_database(settings, service)
    conn = await asyncpg.connect(service_dsn(settings, service))
    try:
        applied = await migrate(conn, migrations_dir or service_migrations_dir(service))
    finally:
        await conn.close()
    log("migrations_applied", service=service, applied=applied)
    return applied


async def migrate_all(settings: Settings, services: tuple[str, ...] | list[str] = SERVICES) -> dict[str, list[str]]:
    """`estate migrate`: every named service's database, one after another."""
    return {s: await migrate_service(settings, s) for s in services}
