"""docs/api.md (issue 20) is current: its generated part is what the services' OpenAPI and AsyncAPI documents say
today, it names every /v1 route and every published topic, and who may call a route is the roles its operation
declares (the same `x-roles` the authorization matrix tries)."""

from __future__ import annotations

from functools import cache

import pytest

from shared.http.operations import roles_of
from shared.runtime.settings import SERVICES
from shared.tools.apidoc import COMMAND, DOC, MARKER, Documents, documents, render, who_may


@cache
def _documents() -> Documents:
    return documents()


def _committed() -> str:
    return DOC.read_text(encoding="utf-8")


def test_the_reference_is_current() -> None:
    committed = _committed()
    assert MARKER in committed, f"docs/api.md lost its marker line: {MARKER}"
    assert committed == render(committed, _documents()), f"docs/api.md is stale: run `{COMMAND}`"


@pytest.mark.parametrize("service", SERVICES)
def test_every_v1_route_is_in_the_reference(service: str) -> None:
    generated = _committed().split(MARKER)[1]
    paths = [path for path in _documents().openapi[service]["paths"] if path.startswith("/v1/")]
    missing = [path for path in paths if f" {path}`" not in generated]
    assert paths and not missing, missing


@pytest.mark.parametrize("service", SERVICES)
def test_each_route_says_who_may_call_it_as_its_operation_declares(service: str) -> None:
    """The x-roles the authorization matrix tries are the roles the reference names, route by route."""
    rows = {line.split(" | ")[0].strip("| `"): line.split(" | ") for line in _committed().splitlines()}
    wrong = []
    for path, methods in _documents().openapi[service]["paths"].items():
        for method, operation in methods.items():
            cells, roles = rows.get(f"{method.upper()} {path}", []), roles_of(operation)
            if not roles or len(cells) < 3 or cells[2] != who_may(roles):
                wrong.append(f"{method.upper()} {path}: {cells[2:3]} for {roles}")
    assert not wrong, wrong


def test_every_published_topic_is_in_the_reference() -> None:
    generated = _committed().split(MARKER)[1]
    published = {
        operation["channel"]["$ref"].split("/")[-1].split(":")[0]
        for document in _documents().asyncapi.values()
        for operation in document["operations"].values()
        if operation["action"] == "send"
    }
    missing = [name for name in sorted(published) if f"| `{name}`" not in generated]
    assert len(published) > 20 and not missing, missing
