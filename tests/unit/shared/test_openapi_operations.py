"""Issue 20: each service's OpenAPI document is one a client generator turns into a client a person would use —
every operation a short snake_case id, unique in its service (not FastAPI's `name_v1_path_method`), at least one
tag (the generated client's module), and who may call it (`x-roles`, declared in the service's app.py)."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from typing import Any

import pytest

from shared.http.auth import ROLES
from shared.http.operations import ROLES_KEY, SIGNED, with_roles
from shared.runtime.serving import create_app, load_spec
from shared.runtime.settings import SERVICES, Settings

SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
FASTAPI_DEFAULT = re.compile(r"_v\d+_.*_(get|put|post|delete|patch|head|options|trace)$")  # name + path + method


@cache
def _document(service: str) -> dict[str, Any]:
    return create_app(load_spec(service), Settings(kafka="localhost:9092")).openapi()


def _operations(service: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", operation)
        for path, methods in _document(service)["paths"].items()
        for method, operation in methods.items()
    ]


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_has_a_short_unique_snake_case_id(service: str) -> None:
    ids = {route: operation.get("operationId", "") for route, operation in _operations(service)}
    bad = {route: op_id for route, op_id in ids.items() if not SNAKE.match(op_id) or FASTAPI_DEFAULT.search(op_id)}
    twice = [op_id for op_id, count in Counter(ids.values()).items() if count > 1]
    assert not bad and not twice, (bad, twice)


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_has_a_tag(service: str) -> None:
    untagged = [route for route, operation in _operations(service) if not operation.get("tags")]
    assert not untagged, untagged


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_says_who_may_call_it(service: str) -> None:
    known = set(ROLES) | set(SIGNED)
    wrong = {
        route: operation.get(ROLES_KEY)
        for route, operation in _operations(service)
        if not operation.get(ROLES_KEY) or not set(operation[ROLES_KEY]) <= known
    }
    assert not wrong, f"declare them in services/{service}/app.py ROLES: {wrong}"


def test_a_role_declared_for_a_route_that_does_not_exist_is_refused() -> None:
    schema = {"paths": {"/v1/things": {"get": {"operationId": "list_things"}}}}
    declared = with_roles(schema, {"GET /v1/things": ("manager",)})["paths"]["/v1/things"]["get"][ROLES_KEY]
    assert declared == ["manager", "group_manager"]  # v1.2: a group manager may wherever a manager may
    with pytest.raises(ValueError, match="POST /v1/things"):
        with_roles(schema, {"POST /v1/things": ("manager",)})
