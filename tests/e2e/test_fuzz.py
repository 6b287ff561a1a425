"""Fuzzing every service's OpenAPI with schemathesis (issue 8): valid tokens, a prepared project, real ids in
half the paths. Whatever it sends: no 5xx, the contract's error body on every 4xx, and a success body that
matches the documented response schema. Bounded to about two minutes in all."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from shared.http.tokens import make_token
from shared.tools.demo import Journey, Urls

SERVICES = ("leads", "inventory", "payments", "notifications")
EXAMPLES_PER_OPERATION = 50


def _real_ids(journey: Journey) -> dict[str, str]:
    return {
        "project_id": journey.project_id,
        "pid": journey.project_id,
        "unit_id": journey.unit_id,
        "uid": journey.unit_id,
        "customer_id": journey.customer_id,
        "sale_id": journey.sale_id,
        "deposit_id": journey.deposit_id,
        "hold_id": journey.hold_id,
        "id": journey.customer_id,
        "org_id": journey.org_id,
        "month": datetime.now(UTC).strftime("%Y-%m"),  # issue 22: a project's month of targets
    }


def _check_answer(case: Any, response: Any) -> None:
    where = f"{case.method} {case.formatted_path} body={str(case.body)[:300]} query={case.query}"
    assert response.status_code < 500, f"{response.status_code} for {where}: {response.text[:300]}"
    if 400 <= response.status_code < 500:
        error = response.json().get("error", {})
        assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str), where
    else:
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])


def _streams(operation: Any) -> bool:
    """An endpoint whose success is an endless stream (the board, issue 11): read its status, not its body."""
    ok = operation.definition.raw.get("responses", {}).get("200", {})
    return "text/event-stream" in ok.get("content", {})


def _check_stream(case: Any, base_url: str, headers: dict[str, str]) -> None:
    """No 5xx and the contract's error body for a refused stream; an accepted one is `text/event-stream`."""
    kwargs = case.as_transport_kwargs(base_url=base_url, headers=headers)
    kwargs.pop("timeout", None)
    where = f"{case.method} {case.formatted_path} query={case.query} headers={case.headers}"
    with httpx.stream(kwargs.pop("method"), kwargs.pop("url"), timeout=10, **_httpx_args(kwargs)) as response:
        assert response.status_code < 500, f"{response.status_code} for {where}"
        if response.status_code >= 400:
            error = orjson.loads(response.read()).get("error", {})
            assert isinstance(error.get("code"), str) and isinstance(error.get("message"), str), where
        else:
            assert response.headers["content-type"].startswith("text/event-stream"), where


def _httpx_args(kwargs: dict[str, Any]) -> dict[str, Any]:
    """requests-style transport arguments as httpx takes them."""
    names = {"headers": "headers", "params": "params", "cookies": "cookies", "json": "json", "data": "content"}
    return {names[k]: v for k, v in kwargs.items() if k in names and v is not None}


def _fuzz(operation: Any, base_url: str, headers: dict[str, str], ids: dict[str, str]) -> None:
    """Positive and negative cases, then positive ones with the prepared project's real ids in the path."""
    names = {p.name for p in operation.path_parameters}
    known = {k: v for k, v in ids.items() if k in names}
    strategies = [operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE)]
    if known:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))
    for strategy in strategies:
        try:
            _run_cases(strategy, base_url, headers, ids)
        except Unsatisfiable:  # e.g. no negative case exists for an operation without inputs
            continue


def _run_cases(strategy: Any, base_url: str, headers: dict[str, str], ids: dict[str, str]) -> None:
    @hsettings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy, real_ids_in_body=st.booleans())
    def run(case: Any, real_ids_in_body: bool) -> None:
        if isinstance(case.body, dict) and real_ids_in_body:  # real ids get past the id checks to the rest
            case.body.update({k: v for k, v in ids.items() if k in case.body})
        if _streams(case.operation):
            _check_stream(case, base_url, headers)
            return
        response = case.call(base_url=base_url, headers=headers, timeout=10)
        _check_answer(case, response)

    run()


@pytest.mark.timeout(600)  # bounded by its examples (50 per operation and mode), not by time; this only stops a hang
@pytest.mark.parametrize("service", SERVICES)
def test_fuzzing_the_api_gives_no_5xx_and_contract_errors(service: str, urls: Urls, journey: Journey, settings) -> None:
    base_url = getattr(urls, service)
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    token = make_token(settings.jwt_secret, "fuzz-admin", "admin", [journey.project_id])  # past every role check
    headers = {"Authorization": f"Bearer {token}"}
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        try:
            _fuzz(operation, base_url, headers, _real_ids(journey))
        except AssertionError as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:600]}")
    assert not failures, "\n".join(failures)
    assert httpx.get(f"{base_url}/health", timeout=5).status_code == 200
