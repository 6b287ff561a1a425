"""Contract v1.2, issue 25: the `notary` role. A notary's token (claim `projects`) is a valid token, but a notary is
no member of staff: every project check refuses them (403 `wrong_role`) except where a route admits the role, and
there only in the projects the token names. `estate token --role notary` prints one."""

from __future__ import annotations

import jwt
import pytest
from typer.testing import CliRunner

from shared.http.api_errors import Forbidden
from shared.http.auth import OUTSIDE_ROLES, ROLES, Principal, decode_token
from shared.http.tokens import make_token
from shared.tools.cli import app as estate

SECRET = "unit-secret-notary"


def test_a_notary_token_is_valid_and_names_its_projects() -> None:
    assert "notary" in ROLES and OUTSIDE_ROLES == ("notary",)
    notary = decode_token(make_token(SECRET, "notary-1", "notary", ["p1"]), SECRET)
    assert notary == Principal("notary-1", "notary", frozenset({"p1"}), "notary-1")


def test_a_notary_passes_a_project_check_only_where_the_route_admits_the_role() -> None:
    notary = Principal("notary-1", "notary", frozenset({"p1"}))
    assert not notary.works_on("p1")  # lists and checks meant for staff never include a notary
    with pytest.raises(Forbidden) as staff_only:
        notary.require_project("p1")
    assert staff_only.value.code == "wrong_role"
    notary.require_project("p1", admit=("notary",))
    with pytest.raises(Forbidden) as elsewhere:
        notary.require_project("p2", admit=("notary",))
    assert elsewhere.value.code == "wrong_project"
    manager = Principal("m-1", "manager", frozenset({"p1"}))
    manager.require_project("p1")  # staff: as before, whatever the route admits
    manager.require_project("p1", admit=("notary",))


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
