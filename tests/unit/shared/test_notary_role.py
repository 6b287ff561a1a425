"""Contract v1.2, issue 25: the `notary` role. A notary's token (claim `projects`) is a valid token, but a notary is
no member of staff: a route lets one in only when it declares the role (`x-roles`, the service's ROLES), and there
only in the projects the token names; anywhere else 403 `wrong_role`, whatever the route checks itself (a list
narrowed to the caller's projects included). `estate token --role notary` prints one."""

from __future__ import annotations

import time

import jwt
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from shared.http.auth import OUTSIDE_ROLES, ROLES, Principal, Who, decode_token
from shared.http.operations import STAFF, document_roles
from shared.http.refusals import install_error_handlers
from shared.http.tokens import make_token
from shared.runtime.settings import Settings
from shared.tools.cli import app as estate

SECRET = "unit-secret-notary"


def _app() -> FastAPI:
    app = FastAPI()
    app.state.settings = Settings(jwt_secret=SECRET)
    install_error_handlers(app)

    @app.get("/v1/things")
    async def list_things(who: Who) -> list[str]:  # a staff list narrowed to the caller's projects, no role check
        return sorted(who.projects)

    @app.get("/v1/things/{project_id}/fair")
    async def fair_thing(project_id: str, who: Who) -> dict:
        who.require_project(project_id)
        return {"project": project_id, "role": who.role}

    document_roles(app, {"GET /v1/things": STAFF, "GET /v1/things/{project_id}/fair": (*STAFF, "notary")})
    return app


def test_a_notary_token_is_valid_and_names_its_projects() -> None:
    assert "notary" in ROLES and OUTSIDE_ROLES == ("notary",)
    notary = decode_token(make_token(SECRET, "notary-1", "notary", ["p1"]), SECRET)
    assert notary == Principal("notary-1", "notary", frozenset({"p1"}), "notary-1")


def test_a_notary_passes_only_routes_that_declare_the_role_and_only_in_their_projects() -> None:
    client = TestClient(_app())
    notary = {"Authorization": f"Bearer {make_token(SECRET, 'notary-1', 'notary', ['p1'])}"}
    staff_only = client.get("/v1/things", headers=notary)
    assert staff_only.status_code == 403 and staff_only.json()["error"]["code"] == "wrong_role"
    assert client.get("/v1/things/p1/fair", headers=notary).json() == {"project": "p1", "role": "notary"}
    elsewhere = client.get("/v1/things/p2/fair", headers=notary)
    assert elsewhere.status_code == 403 and elsewhere.json()["error"]["code"] == "wrong_project"
    finance = {"Authorization": f"Bearer {make_token(SECRET, 'f-1', 'finance', ['p1'])}"}
    assert client.get("/v1/things", headers=finance).json() == ["p1"]  # staff: as before


def test_estate_token_prints_a_notary_token(monkeypatch) -> None:
    monkeypatch.setenv("ESTATE_JWT_SECRET", SECRET)
    from shared.runtime.settings import get_settings

    get_settings.cache_clear()
    try:
        printed = CliRunner().invoke(estate, ["token", "--sub", "gz-notary", "--role", "notary", "--project", "p9"])
    finally:
        get_settings.cache_clear()
    assert printed.exit_code == 0, printed.output
    claims = jwt.decode(printed.output.strip(), SECRET, algorithms=["HS256"])
    assert (claims["role"], claims["projects"], claims["sub"]) == ("notary", ["p9"], "gz-notary")
    assert claims["exp"] > time.time()
