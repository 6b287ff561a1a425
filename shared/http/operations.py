"""What each operation of a service's OpenAPI document says beyond FastAPI's defaults (issue 20): a short id, the
route function's name (`hold_unit`, not `hold_unit_v1_units__unit_id__holds_post`), so generated clients read
well; and who may call it, the `x-roles` extension, declared once per service (`ServiceSpec.roles`) and read by
the API reference and the authorization matrix alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from shared.http.roles import GROUP_MANAGER, ROLES_KEY

STAFF = ("consultant", "manager", "sales_control", "finance", "service")  # every role but admin, who passes all
SIGNED = ("property_company",)  # no token: a Standard Webhooks signature with the endpoint's secret

# Who may call each route of a service: "METHOD /path" → the roles that may (admin always may, on every route
# that takes a token). The route's own check (`require_role`, `project_in_scope`) enforces it; the authorization
# matrix (tests/e2e) proves the two agree, route by route.
Roles = Mapping[str, tuple[str, ...]]


def operation_id(route: APIRoute) -> str:
    """FastAPI's `generate_unique_id_function`: the route function's name (unique per service: tests/unit)."""
    return route.name


def route_key(method: str, path: str) -> str:
    """How a route is named in a service's `Roles`."""
    return f"{method.upper()} {path}"


def document_roles(app: FastAPI, roles: Roles) -> None:
    """Every operation of the app's OpenAPI document carries its declared roles as `x-roles`."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        return with_roles(original(), roles)

    app.openapi = openapi  # type: ignore[method-assign]


def with_roles(schema: dict[str, Any], roles: Roles) -> dict[str, Any]:
    """`schema` with each declared route's roles in its operation; a declaration naming no route is a mistake."""
    unused = dict(roles)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            allowed = unused.pop(route_key(method, path), None)
            if allowed is not None:
                operation[ROLES_KEY] = list(with_group_manager(allowed))
    if unused:
        raise ValueError(f"roles declared for routes that do not exist: {', '.join(sorted(unused))}")
    return schema


def with_group_manager(allowed: tuple[str, ...]) -> tuple[str, ...]:
    """v1.2: a group manager may wherever a manager may (in the projects under their org units)."""
    return (*allowed, GROUP_MANAGER) if "manager" in allowed and GROUP_MANAGER not in allowed else allowed


def roles_of(operation: Mapping[str, Any]) -> tuple[str, ...]:
    """The roles an operation of an OpenAPI document declares (none: not declared)."""
    return tuple(operation.get(ROLES_KEY, ()))
