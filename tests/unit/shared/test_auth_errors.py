import time

import jwt
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared.http.api_errors import ApiError, Forbidden, Unauthorized
from shared.http.auth import Principal, current_principal, decode_token
from shared.http.refusals import install_error_handlers
from shared.runtime.settings import Settings

SECRET = "unit-secret"


def _token(**claims) -> str:
    body = {"sub": "s1", "role": "consultant", "projects": ["p1"], "exp": int(time.time()) + 60} | claims
    return jwt.encode(body, SECRET, algorithm="HS256")


def test_valid_token_gives_principal() -> None:
    p = decode_token(_token(name="Li"), SECRET)
    assert p == Principal(sub="s1", role="consultant", projects=frozenset({"p1"}), name="Li")


def _without_exp() -> str:
    return jwt.encode({"sub": "s1", "role": "admin", "projects": []}, SECRET, algorithm="HS256")


@pytest.mark.parametrize(
    "token",
    [
        _token(role="janitor"),
        _token(exp=int(time.time()) - 10),
        jwt.encode({"sub": "x", "role": "admin"}, "other", "HS256"),
        "garbage",
        _without_exp(),  # contract v1.1 "Tokens": a token that never expires is refused
        jwt.encode({"sub": "s1", "role": "admin", "projects": [], "exp": int(time.time()) + 60}, SECRET, "HS512"),
        jwt.encode({"sub": "s1", "role": "admin", "projects": [], "exp": int(time.time()) + 60}, None, "none"),
        _token(exp="tomorrow"),
        _token(role="group_manager", orgs="o1"),  # v1.2: `orgs` is a list or the token is refused
    ],
    ids=["role", "expired", "other-secret", "garbage", "no-exp", "hs512", "alg-none", "exp-not-a-number", "orgs"],
)
def test_bad_tokens_are_401(token: str) -> None:
    with pytest.raises(Unauthorized):
        decode_token(token, SECRET)


def test_a_group_manager_acts_as_a_manager_in_the_projects_resolved_from_the_tree() -> None:
    gm = decode_token(_token(role="group_manager", orgs=["o1"], projects=["p9"]), SECRET)
    assert gm.orgs == frozenset({"o1"}) and gm.projects == frozenset()  # projects come from the tree, not the token
    gm.require_role("manager", "finance")  # where a manager may, a group manager may
    with pytest.raises(Forbidden):
        gm.require_role("consultant", "sales_control")
    consultant = decode_token(_token(orgs=["o1"]), SECRET)
    assert consultant.orgs == frozenset()  # only a group manager's units count


def test_roles_and_projects() -> None:
    admin = Principal("a", "admin")
    assert admin.works_on("anything")
    consultant = Principal("c", "consultant", frozenset({"p1"}))
    consultant.require_project("p1")
    with pytest.raises(Forbidden):
        consultant.require_project("p2")
    with pytest.raises(Forbidden):
        consultant.require_role("manager", "finance")


class Body(BaseModel):
    amount: str
    count: int


def _app() -> TestClient:
    app = FastAPI()
    app.state.settings = Settings(jwt_secret=SECRET)
    install_error_handlers(app)

    @app.post("/things")
    async def create(body: Body, who: Principal = Depends(current_principal)) -> dict:
        if body.count > 5:
            raise ApiError("too_many", "too many things", 409)
        return {"ok": who.sub}

    return TestClient(app, raise_server_exceptions=False)


def test_error_bodies_follow_the_contract() -> None:
    client = _app()
    auth = {"Authorization": f"Bearer {_token()}"}
    assert client.post("/things", json={"amount": "1", "count": 1}).json()["error"]["code"] == "missing_token"
    assert client.post("/things", json={}, headers={"Authorization": "Bearer x"}).status_code == 401
    bad = client.post("/things", content=b"{not json", headers=auth | {"content-type": "application/json"})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
    wrong = client.post("/things", json={"amount": "1", "count": "many"}, headers=auth)
    assert wrong.status_code == 422 and "count" in wrong.json()["error"]["message"]
    conflict = client.post("/things", json={"amount": "1", "count": 9}, headers=auth)
    assert conflict.status_code == 409 and conflict.json() == {
        "error": {"code": "too_many", "message": "too many things"}
    }
    assert client.get("/nowhere").json()["error"]["code"] == "not_found"
    assert client.post("/things", json={"amount": "1", "count": 1}, headers=auth).json() == {"ok": "s1"}


def test_api_error_body() -> None:
    assert ApiError("x_y", "msg", 418).body() == {"error": {"code": "x_y", "message": "msg"}}
