"""The committed AsyncAPI documents must match what the code generates (regenerate: python -m shared.messaging.asyncapi)."""

import json

import pytest

from shared.messaging.asyncapi import DOCS_DIR, render
from shared.runtime.settings import SERVICES


@pytest.mark.parametrize("service", SERVICES)
def test_committed_asyncapi_matches_the_code(service: str) -> None:
    committed = (DOCS_DIR / f"{service}.json").read_text(encoding="utf-8")
    assert json.loads(committed) == json.loads(render(service)), (
        f"docs/asyncapi/{service}.json is stale: run `.venv/bin/python -m shared.messaging.asyncapi`"
    )
