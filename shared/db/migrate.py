"""Migrations: the shared tables' then a service's own, each in its transaction, under an advisory lock."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg

from shared.db.databases import ensure_database, service_dsn
from shared.runtime.logs import log
from shared.runtime.settings import SERVICES, Settings

SHARED_MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 7_311_001  # advisory lock key: one migrator at a time per database
_VERSION = re.compile(r"^(\d+)_[\w-]+\.sql$")


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
    return Path(__file__).parent.parent.parent / "services" / service / "migrations"


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
