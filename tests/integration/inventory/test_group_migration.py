"""Projects made before the group (issue 21) belong to a root unit the migration makes, and inventory announces the
unit and the projects once, so that every service learns the tree from events (and a replay rebuilds it)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import asyncpg
import orjson

from services.inventory import use_cases
from shared.db.databases import service_dsn
from shared.db.migrate import migrate, service_migrations_dir
from shared.db.pool import json_codecs
from shared.messaging import topics

GROUP_MIGRATION = "011_the_group.sql"


async def test_projects_made_before_the_group_join_a_root_unit_announced_once(settings, tmp_path: Path) -> None:
    name = f"inv_{uuid.uuid4().hex[:8]}"
    before = tmp_path / "before"
    before.mkdir()
    for sql in sorted(service_migrations_dir("inventory").glob("*.sql")):
        if sql.name < GROUP_MIGRATION:
            shutil.copy(sql, before / sql.name)
    conn = await _database(settings, name)
    try:
        await migrate(conn, before)  # the release before the group
        project_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO projects (id, code, name, city, settings) VALUES ($1, $2, 'Old', NULL, '{}'::jsonb)",
            project_id,
            f"OLD{uuid.uuid4().hex[:6]}",
        )
        await migrate(conn, service_migrations_dir("inventory"))  # this release
        root = await conn.fetchrow("SELECT id, code, path, announced FROM org_units")
        placed = await conn.fetchval("SELECT org_id FROM project_orgs WHERE project_id = $1", project_id)
        assert (root["code"], root["path"], root["announced"], placed) == ("GROUP", "GROUP", False, root["id"])
        assert await use_cases.announce_group(conn) == 2
        assert await use_cases.announce_group(conn) == 0  # once
        told = {r["topic"]: orjson.loads(bytes(r["payload"]))["data"] for r in await conn.fetch("SELECT * FROM outbox")}
    finally:
        await conn.close()
        server = await asyncpg.connect(settings.server_dsn())
        try:
            await server.execute(f'DROP DATABASE "{settings.db_prefix}{name}"')
        finally:
            await server.close()
    assert told[topics.ORG_CHANGED.name]["path_ids"] == [str(root["id"])]
    assert told[topics.PROJECT_CHANGED.name]["org_id"] == str(root["id"])


async def _database(settings, name: str) -> asyncpg.Connection:
    server = await asyncpg.connect(settings.server_dsn())
    try:
        await server.execute(f'CREATE DATABASE "{settings.db_prefix}{name}"')
    finally:
        await server.close()
    conn = await asyncpg.connect(service_dsn(settings, name))
    await json_codecs(conn)  # as the service's pool reads it
    return conn
