"""Who may see which of the group's reports (issue 22, contract v1.2 "Reports (leads)"), decided here: a manager
their own projects (one at a time), a group manager one project or one unit of their subtree, an admin any;
consultants and every other role 403. A report is asked for one project (`project_id`) or one org unit
(`org_id`, with every project of its subtree as leads knows the tree now)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import asyncpg

from services.leads.domain import zone_of
from services.leads.store import report_reads
from shared.http.api_errors import Forbidden
from shared.http.auth import GROUP_MANAGER, Principal
from shared.kernel.defaults import DEFAULTS
from shared.kernel.errors import InvalidInput, NotFound
from shared.trust import orgs


@dataclass(frozen=True)
class Project:
    """A project a report names: its id, and its code, name and time zone as inventory's events told leads."""

    id: uuid.UUID
    code: str | None
    name: str | None
    timezone: str


@dataclass(frozen=True)
class Scope:
    """What a report covers: one project, or one org unit's subtree (its projects, in code order)."""

    projects: tuple[Project, ...]
    org_id: uuid.UUID | None = None
    org_name: str | None = None

    @property
    def one_project(self) -> bool:
        return self.org_id is None

    @property
    def ids(self) -> list[uuid.UUID]:
        return [p.id for p in self.projects]

    @property
    def zone(self) -> str:
        """The time zone its projects keep ("today" and "yesterday" of the report)."""
        return zone_of(p.timezone for p in self.projects)

    def today(self, now: datetime) -> date:
        """The scope's local date at `now`."""
        return now.astimezone(ZoneInfo(self.zone)).date()

    def about(self) -> dict[str, str | None]:
        """What the report is of, for its answer."""
        if self.one_project:
            return {"project_id": str(self.projects[0].id)}
        return {"org_id": str(self.org_id), "org_name": self.org_name}


def parse_id(value: str | None, what: str) -> uuid.UUID | None:
    """An id from the query; 422 `invalid_request` naming it when it is not one."""
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise InvalidInput(f"{what} is not a valid id", "invalid_request") from None


async def report_scope(conn: asyncpg.Connection, who: Principal, project_id: str | None, org_id: str | None) -> Scope:
    """The projects a report for `who` covers, or the refusal: the role (403), one of project_id and org_id
    (422), the project or unit within the caller's reach (403; an unknown unit for an admin: 404)."""
    who.require_role("manager")  # admins always; a group manager where a manager may
    if (project_id is None) == (org_id is None):
        raise InvalidInput("ask for one project (project_id) or one org unit (org_id)", "invalid_request")
    pid, oid = parse_id(project_id, "project_id"), parse_id(org_id, "org_id")
    if pid is not None:
        who.require_project(str(pid))
        return Scope(tuple(await projects_of(conn, [pid])))
    assert oid is not None
    org = await _org_in_reach(conn, who, oid)
    under = sorted(uuid.UUID(p) for p in await orgs.projects_under(conn, [str(oid)]))
    return Scope(tuple(await projects_of(conn, under)), oid, org["name"])


async def _org_in_reach(conn: asyncpg.Connection, who: Principal, org_id: uuid.UUID) -> asyncpg.Record:
    """An org unit the caller may report on: a group manager's own or below; an admin's any that exists."""
    if who.role not in ("admin", GROUP_MANAGER):
        raise Forbidden("wrong_role", "a project manager's reports are per project: ask with project_id")
    if who.role == GROUP_MANAGER and org_id not in await orgs.subtree(conn, who.orgs):
        raise Forbidden("wrong_org", "this org unit is not one of yours or below them")
    org = await report_reads.org_named(conn, org_id)
    if org is None:
        raise NotFound("no such org unit")
    return org


async def projects_of(conn: asyncpg.Connection, ids: list[uuid.UUID]) -> list[Project]:
    """The projects, in code order (one leads has not heard of yet: no code or name, the default zone)."""
    known = {r["project_id"]: r for r in await report_reads.projects_named(conn, ids)}
    found = [
        Project(i, known[i]["code"], known[i]["name"], known[i]["timezone"])
        if i in known
        else Project(i, None, None, DEFAULTS.timezone)
        for i in ids
    ]
    return sorted(found, key=lambda p: (p.code is None, p.code or "", str(p.id)))
