"""Inventory use cases for a project: created and announced (its settings drive the other services' rules), and its
units imported all or nothing."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.inventory import store
from services.inventory.domain import DomainError, ProjectSettings, RowProblem, UnitRow
from shared.kernel.errors import refusal
from shared.messaging import topics
from shared.messaging.outbox import add_event

DuplicateCode = refusal("DuplicateCode", "project_code_taken", "A project's code is unique.")


class BadRows(DomainError):
    code = "invalid_units"

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__("; ".join(f"row {p.row} {p.field}: {p.message}" for p in problems[:50]))
        self.problems = problems

    def extra(self) -> dict[str, Any]:
        """Each bad row and field, so the file can be fixed in one go."""
        return {"details": [p.as_json() for p in self.problems]}


async def create_project(
    conn: asyncpg.Connection, code: str, name: str, city: str | None, settings: ProjectSettings
) -> dict[str, Any]:
    """Create a project and announce it (its settings drive the other services' rules)."""
    project_id = uuid.uuid4()
    async with conn.transaction():
        if not await store.insert_project(conn, project_id, code, name, city, settings):
            raise DuplicateCode(f"a project with code {code} exists")
        await add_event(
            conn,
            topics.PROJECT_CREATED,
            {"project_id": str(project_id), "code": code, "name": name, "city": city, "settings": settings.as_json()},
            project_id=str(project_id),
        )
    return {"id": str(project_id), "code": code, "name": name, "city": city, "settings": settings.as_json()}


async def import_units(
    conn: asyncpg.Connection, project_id: uuid.UUID, rows: list[UnitRow], problems: list[RowProblem]
) -> int:
    """All or nothing: any bad row (or a unit that exists already) and nothing is imported."""
    if problems:
        raise BadRows(problems)
    async with conn.transaction():
        clashes = await store.insert_units(conn, project_id, rows)
        if clashes:
            index = {(r.building, r.number): i for i, r in enumerate(rows, start=1)}
            raise BadRows([RowProblem(index[c], "number", f"{c[0]}-{c[1]} exists already") for c in clashes])
    return len(rows)


async def settings_of(conn: asyncpg.Connection, project_id: uuid.UUID) -> ProjectSettings:
    """A project's settings with their defaults."""
    return store.project_settings(await store.project(conn, project_id))
