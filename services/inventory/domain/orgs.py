"""The group (集团, v1.2): org units in a tree, settings templates inherited down it, and who may change a project.
Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from shared.kernel.errors import Conflict, InvalidInput, refusal

UnknownOrg = refusal("UnknownOrg", "unknown_org", "An org unit that does not exist (or that the caller may not see).")
PATCHABLE = frozenset({"name", "org_id", "settings"})  # what PATCH /v1/projects/{pid} may change
MANAGER_PATCHABLE = frozenset({"settings"})  # a project's own manager: its settings from now on, nothing else


class OrgExists(Conflict):
    code = "org_exists"


class ManagerMayNot(InvalidInput):
    """403: a project's manager asked to change more than its settings."""

    code = "wrong_role"
    status = 403


def org_path(parent_codes: str | None, code: str) -> str:
    """The codes from the root to the unit, joined by `/` (`GRP/EAST/SH`); a code is one step of it."""
    if "/" in code or not code.strip():
        raise InvalidInput("an org unit's code is one word of its path: no '/'", "invalid_request")
    return code if not parent_codes else f"{parent_codes}/{code}"


def is_over(manager_orgs: Iterable[str], path_ids: Iterable[str]) -> bool:
    """A group manager of one of `manager_orgs` acts in a unit whose root-first path passes through it."""
    return bool(set(map(str, manager_orgs)) & set(map(str, path_ids)))


def inherited(templates: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """What a new project starts with: the templates of its unit's path, root first; the nearest unit's value of a
    setting wins."""
    merged: dict[str, Any] = {}
    for template in templates:
        merged.update(template)
    return merged


def starting_settings(templates: Iterable[Mapping[str, Any]], explicit: Mapping[str, Any] | None) -> dict[str, Any]:
    """A new project's raw settings: its unit's inherited template under its own explicit settings."""
    return inherited(templates) | dict(explicit or {})


def check_patch(fields: Iterable[str], acts_as_manager_only: bool) -> None:
    """A project's own manager changes its settings only; the name and the org unit are the group's to change."""
    asked = set(fields)
    if not asked:
        raise InvalidInput("nothing to change: name, org_id or settings", "invalid_request")
    if acts_as_manager_only and asked - MANAGER_PATCHABLE:
        beyond = ", ".join(sorted(asked - MANAGER_PATCHABLE))
        raise ManagerMayNot(f"a project's manager changes its settings only, not {beyond}")


def changed_settings(current: Mapping[str, Any], changes: Mapping[str, Any] | None) -> dict[str, Any]:
    """The raw settings after a change: the named ones replaced, the others kept (validated by the caller)."""
    if changes is not None and not isinstance(changes, Mapping):
        raise InvalidInput("settings must be an object", "invalid_settings")
    return dict(current) | dict(changes or {})
