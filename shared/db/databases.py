"""A service's own database on the PostgreSQL server: its name, its DSN, created when missing."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import asyncpg

from shared.runtime.logs import log
from shared.runtime.settings import Settings


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
