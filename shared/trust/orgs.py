"""The group's tree as every service knows it (v1.2): org units and the unit of each project, learned from inventory's
`org-changed`, `project-created` and `project-changed` (inventory writes the same rows with its own changes), and
what a group manager reaches from their units: every project in those units' subtrees, nothing else."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

import asyncpg

from shared.messaging import topics
from shared.messaging.envelope import Envelope
from shared.messaging.inbox import Handlers

HANDLERS = Handlers()

_SAVE_ORG = (
    "INSERT INTO org_units (id, parent_id, path_ids) VALUES ($1, $2, $3::uuid[])"
    " ON CONFLICT (id) DO UPDATE SET parent_id = excluded.parent_id, path_ids = excluded.path_ids"
)
_SAVE_PROJECT = (
    "INSERT INTO project_orgs (project_id, org_id) VALUES ($1, $2)"
    " ON CONFLICT (project_id) DO UPDATE SET org_id = excluded.org_id"
)
_UNDER = (
    "SELECT po.project_id::text FROM project_orgs po JOIN org_units o ON o.id = po.org_id"
    " WHERE o.path_ids && $1::uuid[]"
)
_SUBTREE = "SELECT id FROM org_units WHERE path_ids && $1::uuid[]"
_ROOT = "SELECT o.path_ids[1] FROM project_orgs po JOIN org_units o ON o.id = po.org_id WHERE po.project_id = $1"


async def save_org(conn: asyncpg.Connection, org_id: str, parent_id: str | None, path_ids: list[str]) -> None:
    """An org unit and its place in the tree (root first)."""
    await conn.execute(_SAVE_ORG, uuid.UUID(org_id), _uuid(parent_id), [uuid.UUID(p) for p in path_ids])


async def remember_project(conn: asyncpg.Connection, project_id: str, org_id: str | None) -> None:
    """The org unit a project belongs to now (None: no group)."""
    await conn.execute(_SAVE_PROJECT, uuid.UUID(project_id), _uuid(org_id))


async def projects_under(conn: asyncpg.Connection, org_ids: Iterable[str]) -> frozenset[str]:
    """Every project in the subtrees of `org_ids`: what a group manager over them sees and manages."""
    return frozenset(r[0] for r in await conn.fetch(_UNDER, valid_uuids(org_ids)))


async def subtree(conn: asyncpg.Connection, org_ids: Iterable[str]) -> frozenset[uuid.UUID]:
    """The org units in the subtrees of `org_ids` (themselves included)."""
    return frozenset(r["id"] for r in await conn.fetch(_SUBTREE, valid_uuids(org_ids)))


async def group_of(conn: asyncpg.Connection, project_id: uuid.UUID) -> uuid.UUID | None:
    """The root unit of the project's group (None: a project of no group)."""
    return await conn.fetchval(_ROOT, project_id)


@HANDLERS.on(topics.ORG_CHANGED)
async def on_org_changed(conn: asyncpg.Connection, env: Envelope, data: topics.OrgChangedData) -> None:
    """The tree changed: a unit created or moved."""
    await save_org(conn, data.org_id, data.parent_id, data.path_ids)


def _uuid(value: str | None) -> uuid.UUID | None:
    return None if value is None else uuid.UUID(value)


def valid_uuids(values: Iterable[str]) -> list[uuid.UUID]:
    """Ids as UUIDs; anything else (a token may carry any text) matches nothing."""
    out = []
    for value in values:
        try:
            out.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return out
