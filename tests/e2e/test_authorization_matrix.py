"""The authorization matrix (issue 8, contract "Auth" and v1.1 "Who sees whom"), generated from the routes.

Every route that each service's OpenAPI document lists must have a row below (a new route without one fails
the test). Who may call a route is what its operation declares (`x-roles`, from the service's app.py: issue 20,
the one source docs/api.md is written from too). Each row is tried with: no token, an expired token, a token
without `exp`, staff of another project, every staff role not declared (and a notary: v1.2), and a consultant
acting for a colleague's customer; each must be refused with the contract's code. Then every declared role must not
be.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import orjson
import pytest

from services.leads.use_cases.aftersales import VISIT_NAMESPACE
from shared.http.auth import GROUP_MANAGER, OUTSIDE_ROLES
from shared.http.operations import SIGNED, STAFF, roles_of
from shared.http.tokens import make_token
from shared.messaging.topics import PROPERTY_HANDOFF
from shared.tools.demo import Journey, Urls
from shared.tools.demo.driver import daytime
from shared.tools.pm_receiver import signed_headers

SERVICES = ("leads", "inventory", "payments", "notifications")
Body = Callable[[Journey], Any]
Declared = dict[tuple[str, str, str], tuple[str, ...]]  # (service, METHOD, path) → its operation's `x-roles`


@dataclass(frozen=True)
class Row:
    """One route: a valid body, and whether it acts for a customer (so owners matter); who may call it is declared
    in its service's OpenAPI document."""

    service: str
    method: str
    path: str
    body: Body | None = None
    query: Callable[[Journey], dict] = field(default=lambda j: {})
    for_customer: bool = False  # a consultant who does not own the customer gets 404
    other_project: int | None = 403  # what staff of another project get (None: the route is not project-bound)
    stream: bool = False  # an endless event stream: its status and headers are read, never its whole body


def _later(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


MANAGERS_LISTS = ("followups/overdue", "referrals", "reports/weekly")  # leads' project reviews (R13, R34, R2)


def _owners(method: str, path: str, body: dict) -> Row:
    """A leads route for one customer, called by its owner (R8)."""
    return Row("leads", method, path, lambda j: body, for_customer=True)


ROWS = (
    Row(
        "leads",
        "POST",
        "/v1/customers",
        lambda j: {"project_id": j.project_id, "name": "Matrix", "phone": "13900000001", "source": "walk_in"},
    ),
    Row("leads", "GET", "/v1/customers/lookup", query=lambda j: {"project_id": j.project_id, "phone": "13900000002"}),
    Row("leads", "GET", "/v1/customers", query=lambda j: {"project_id": j.project_id}),
    Row("leads", "GET", "/v1/customers/{customer_id}", for_customer=True),
    Row(
        "leads",
        "POST",
        "/v1/customers/{customer_id}/followups",
        lambda j: {"channel": "phone", "content": "called", "next_contact_at": daytime(2)},
        for_customer=True,
    ),
    Row("leads", "PUT", "/v1/customers/{customer_id}/grade", lambda j: {"grade": "A"}, for_customer=True),
    Row(
        "leads",
        "POST",
        "/v1/customers/{customer_id}/assign",
        lambda j: {"consultant_id": "consultant-1", "reason": "matrix"},
    ),
    Row("leads", "GET", "/v1/customers/{customer_id}/timeline", for_customer=True),
    _owners("PATCH", "/v1/customers/{customer_id}", {"tags": ["first_home"]}),
    _owners("POST", "/v1/customers/{customer_id}/close", {"reason": "timing"}),
    Row("leads", "POST", "/v1/customers/{customer_id}/claims", lambda j: {"reason": "matrix"}),
    Row("leads", "POST", "/v1/claims/{claim_id}/decision", lambda j: {"winner_id": "x", "reason": "m"}),
    Row("leads", "GET", "/v1/claims", query=lambda j: {"project_id": j.project_id}),
    _owners("POST", "/v1/customers/{customer_id}/callbacks", {"due_at": daytime(1), "purpose": "matrix"}),
    _owners("POST", "/v1/callbacks/{callback_id}/done", {"outcome": "m", "next_contact_at": daytime(2)}),
    Row("leads", "GET", "/v1/callbacks", query=lambda j: {"project_id": j.project_id}),
    *(Row("leads", "GET", f"/v1/projects/{{project_id}}/{what}") for what in MANAGERS_LISTS),
    Row("leads", "GET", "/v1/aftersales/visits", query=lambda j: {"project_id": j.project_id}),
    Row("leads", "POST", "/v1/aftersales/visits/{visit_id}", lambda j: {"outcome": "m"}, other_project=404),
    Row("leads", "GET", "/v1/projects/{project_id}/visitors"),  # R5
    # v1.2: a departure of someone who owns nothing in the journey's project (its customers stay consultant-1's)
    Row(
        "leads",
        "POST",
        "/v1/projects/{project_id}/staff/{staff_id}/departure",
        lambda j: {"to_consultant_id": "consultant-1", "reason": "matrix"},
    ),
    Row(
        "leads",
        "POST",
        "/v1/calls",
        lambda j: {"project_id": j.project_id, "phone": "13900000003", "rang_at": _later(0), "answered_at": _later(0)},
    ),
    Row(
        "leads",
        "GET",
        "/v1/projects/{project_id}/calls/stats",
        query=lambda j: {"date": datetime.now(UTC).date().isoformat()},
    ),
    # Issue 22, the group's reports: a manager's own project, a group manager's subtree, an admin's all
    *(
        Row("leads", "GET", f"/v1/reports/{report}", query=lambda j: {"project_id": j.project_id})
        for report in ("daily", "monthly", "funnel", "consultants", "dashboard")
    ),
    Row("leads", "POST", "/v1/reports/links", lambda j: {"project_id": j.project_id, "hours": 1}),
    Row("leads", "PUT", "/v1/projects/{project_id}/targets/{month}", lambda j: {"contracts_amount": "1000000.00"}),
    Row(
        "inventory", "POST", "/v1/projects", lambda j: {"code": "MX", "name": "Matrix", "city": "X", "org_id": j.org_id}
    ),
    Row("inventory", "GET", "/v1/projects", other_project=None),  # lists what the caller may see
    Row("inventory", "PATCH", "/v1/projects/{project_id}", lambda j: {"settings": {"hold_minutes": 30}}),
    Row("inventory", "POST", "/v1/orgs", lambda j: {"code": "MXO", "name": "Matrix unit", "parent_id": j.org_id}),
    Row("inventory", "GET", "/v1/orgs", other_project=None),
    Row(
        "inventory",
        "PUT",
        "/v1/orgs/{org_id}/settings-template",
        lambda j: {"settings": {"hold_minutes": 30}},
        other_project=None,
    ),
    Row(
        "inventory",
        "POST",
        "/v1/projects/{project_id}/units",
        lambda j: [
            {
                "building": "MX",
                "number": "1",
                "floor": 1,
                "layout": "1BR",
                "area_m2": "50.00",
                "list_price": "100000.00",
                "floor_price": "90000.00",
            }
        ],
    ),
    Row("inventory", "GET", "/v1/projects/{project_id}/units"),
    # Issue 24: 调价 of the journey's own unit, sold by now: skipped, nothing changes on the board
    Row(
        "inventory",
        "POST",
        "/v1/projects/{project_id}/price-adjustments",
        lambda j: {"reason": "matrix", "units": [{"unit_id": j.unit_id, "list_price": "2000000.00"}]},
    ),
    Row("inventory", "GET", "/v1/projects/{project_id}/price-adjustments"),
    Row(
        "inventory",
        "PUT",
        "/v1/projects/{project_id}/designees/{staff_id}",
        lambda j: {"powers": [], "reason": "matrix: named for nothing"},
    ),
    Row("inventory", "GET", "/v1/projects/{project_id}/designees"),
    Row("inventory", "GET", "/v1/projects/{project_id}/board"),
    Row("inventory", "GET", "/v1/projects/{project_id}/board/stream", stream=True),
    Row("inventory", "POST", "/v1/projects/{project_id}/board-links", lambda j: {}),
    Row("inventory", "GET", "/v1/projects/{project_id}/conflicts"),
    Row("inventory", "GET", "/v1/units/{unit_id}"),
    Row("inventory", "POST", "/v1/units/{unit_id}/holds", lambda j: {"customer_id": j.customer_id}, for_customer=True),
    Row("inventory", "DELETE", "/v1/units/{unit_id}/holds/{hold_id}", for_customer=True),
    Row("inventory", "POST", "/v1/units/{unit_id}/quote", lambda j: {"first_home": True}),
    Row(
        "inventory",
        "POST",
        "/v1/sales/{sale_id}/subscription",
        lambda j: {"buyer_signed": True, "down_payment": {"amount": "1.00", "due_date": _later(5)[:10]}},
    ),
    Row(
        "inventory",
        "POST",
        "/v1/sales/{sale_id}/contract",
        lambda j: {"contract_no": "HT-MX", "signatory": "buyer", "poa_notarized": False, "id_copy_kept": True},
    ),
    Row("inventory", "POST", "/v1/sales/{sale_id}/handover", lambda j: {"handed_over_at": _later(0)}),
    Row("inventory", "POST", "/v1/sales/{sale_id}/cancellation", lambda j: {"reason": "matrix"}),
    # Issue 11 (开盘): the opening of `_opening` below, a month away so no hold of the journey meets it live
    Row(
        "inventory",
        "POST",
        "/v1/projects/{project_id}/openings",
        lambda j: {"starts_at": _later(40), "window_minutes": 10, "batch_size": 5, "units_per_buyer": 1},
    ),
    Row("inventory", "POST", "/v1/openings/{opening_id}/entrants", lambda j: {"customer_ids": [j.customer_id]}),
    Row("inventory", "POST", "/v1/openings/{opening_id}/draw", lambda j: {}),
    Row("inventory", "GET", "/v1/openings/{opening_id}"),
    # Issue 19: a unit kept out of the opening, before it starts (the opening above starts in 30 days)
    Row(
        "inventory", "POST", "/v1/openings/{opening_id}/kept-out", lambda j: {"unit_id": j.unit_id, "reason": "matrix"}
    ),
    # Issue 25, a fair opening's steps (the opening above is drawn by then: each answers 409, never 401/403/404)
    Row("inventory", "POST", "/v1/openings/{opening_id}/close-entry", lambda j: {}),
    Row("inventory", "POST", "/v1/openings/{opening_id}/commitments", lambda j: {"party": "m", "commitment": "0" * 64}),
    Row("inventory", "POST", "/v1/openings/{opening_id}/reveals", lambda j: {"party": "m", "secret": "matrix"}),
    Row(
        "payments",
        "POST",
        "/v1/deposits",
        lambda j: {
            "unit_id": j.unit_id,
            "hold_id": j.hold_id,
            "customer_id": j.customer_id,
            "amount": "100.00",
            "method": "bank_transfer",
            "source_of_funds": "savings",
        },
    ),
    Row("payments", "POST", "/v1/deposits/{deposit_id}/verifications"),
    Row("payments", "GET", "/v1/deposits/{deposit_id}/receipt", for_customer=True),
    Row(
        "payments",
        "POST",
        "/v1/deposits/{deposit_id}/banking",
        lambda j: {"bank_ref": "B-1", "escorts": ["finance-1", "finance-2"]},
    ),
    Row("payments", "POST", "/v1/deposits/{deposit_id}/refund", lambda j: {"reason": "matrix"}),
    Row("payments", "GET", "/v1/projects/{project_id}/deposits"),
    Row(
        "payments",
        "POST",
        "/v1/sales/{sale_id}/payments",
        lambda j: {"kind": "balance", "amount": "1.00", "method": "bank_transfer"},
    ),
    Row(
        "payments",
        "POST",
        "/v1/sales/{sale_id}/mortgage-appointment",
        lambda j: {"at": _later(10), "place": "Bank", "documents": ["ID"]},
        for_customer=True,
    ),
    Row("payments", "GET", "/v1/sales/{sale_id}/ledger"),
    Row("payments", "GET", "/v1/payments/{payment_id}/receipt", for_customer=True),  # issue 24
    Row(
        "payments",
        "POST",
        "/v1/sales/{sale_id}/contract-collection",
        lambda j: {"collected_by": "buyer", "signed": True},
    ),
    # Asked for a customer of a project not theirs, staff learn nothing: the customer is not found for them.
    Row(
        "notifications",
        "GET",
        "/v1/reminders",
        query=lambda j: {"customer_id": j.customer_id},
        for_customer=True,
        other_project=404,
    ),
    Row("notifications", "GET", "/v1/notifications", other_project=None),  # lists the caller's projects only
    Row(
        "notifications",
        "POST",
        "/v1/webhooks",
        lambda j: {"project_id": j.project_id, "url": "http://127.0.0.1:9/matrix", "events": [PROPERTY_HANDOFF.name]},
    ),
    Row("notifications", "GET", "/v1/webhooks/{endpoint_id}/deliveries"),
    Row("notifications", "POST", "/v1/webhooks/{endpoint_id}/deliveries/{event_id}/retry"),
    Row("notifications", "POST", "/v1/webhooks/{endpoint_id}/rotate-secret"),
    Row(
        "notifications",
        "POST",
        "/v1/handoffs/{handoff_id}/acknowledgement",
        lambda j: {"resident_account_id": "PM-matrix"},
    ),
)


def _path(row: Row, j: Journey) -> str:
    return row.path.format(
        project_id=j.project_id,
        customer_id=j.customer_id,
        unit_id=j.unit_id,
        hold_id=j.hold_id,
        sale_id=j.sale_id,
        claim_id=j.claim_id,
        callback_id=j.callback_id,
        deposit_id=j.deposit_id,
        payment_id=j.payment_id,
        staff_id="matrix-staff",  # owns no customer: a departure that moves nothing; a designee named and withdrawn
        endpoint_id=j.webhook["endpoint_id"],
        event_id=j.handoff["id"],
        handoff_id=j.handoff["data"]["handoff_id"],
        visit_id=uuid.uuid5(VISIT_NAMESPACE, j.sale_id),  # R33: one return visit per sale handed over
        opening_id=OPENINGS.get(j.project_id, ""),
        org_id=j.org_id,
        month=datetime.now(UTC).strftime("%Y-%m"),
    )


OPENINGS: dict[str, str] = {}  # the journey project's opening (issue 11), by project id
SIBLING: dict[str, str] = {}  # a unit beside the journey project's (issue 21), by project id


@pytest.fixture(scope="module", autouse=True)
def _sibling_unit(urls: Urls, journey: Journey, settings) -> None:
    """A unit under the journey's group beside the project's region: its group manager reaches nothing here."""
    body = {"code": "WEST", "name": "A sibling unit", "parent_id": journey.group_id}
    admin = {"Authorization": _bearer(settings.jwt_secret, "admin-1", "admin", [])}
    answer = httpx.post(f"{urls.inventory}/v1/orgs", json=body, headers=admin, timeout=15)
    assert answer.status_code == 201, answer.text
    SIBLING[journey.project_id] = answer.json()["id"]


@pytest.fixture(scope="module", autouse=True)
def _opening(urls: Urls, journey: Journey, settings) -> None:
    """An opening of the journey's project, starting in 30 days, for the routes that name one."""
    body = {"starts_at": _later(30), "window_minutes": 10, "batch_size": 5, "units_per_buyer": 1}
    answer = httpx.post(
        f"{urls.inventory}/v1/projects/{journey.project_id}/openings",
        json=body,
        headers={
            "Authorization": _bearer(settings.jwt_secret, "sales_control-1", "sales_control", [journey.project_id])
        },
        timeout=15,
    )
    assert answer.status_code == 201, answer.text
    OPENINGS[journey.project_id] = answer.json()["id"]


def _call(urls: Urls, row: Row, j: Journey, authorization: str | None) -> httpx.Response:
    headers = {"Authorization": authorization} if authorization else {}
    kwargs: dict[str, Any] = {"params": row.query(j), "headers": headers, "timeout": 15}
    if row.body is not None:
        kwargs["json"] = row.body(j)
    url = getattr(urls, row.service) + _path(row, j)
    if row.stream:  # the answer's head, and the error body of a refusal; an accepted stream is closed unread
        with httpx.stream(row.method, url, **kwargs) as response:
            if response.status_code >= 400:
                response.read()
            return response
    return httpx.request(row.method, url, **kwargs)


def _bearer(secret: str, sub: str, role: str, projects: list[str], orgs: tuple[str, ...] = ()) -> str:
    return f"Bearer {make_token(secret, sub, role, projects, name=sub, orgs=orgs)}"


def _as(secret: str, role: str, j: Journey, sub: str = "") -> str:
    """A token of `role` in the journey's project; a group manager's over the project's org unit (issue 21)."""
    sub = sub or ("consultant-1" if role == "consultant" else f"{role}-1")  # consultant-1 owns the journey's customer
    orgs = (j.org_id,) if role == GROUP_MANAGER else ()
    return _bearer(secret, sub, role, [j.project_id] if role != GROUP_MANAGER else [], orgs)


def _refusals(secret: str, row: Row, allowed: tuple[str, ...], j: Journey) -> list[tuple[str, str | None, int]]:
    """(what, Authorization header, expected status) for each way this route must refuse."""
    now = int(time.time())
    claims = {"sub": "x", "role": "admin", "projects": [j.project_id]}
    tries = [
        ("no token", None, 401),
        ("expired", "Bearer " + jwt.encode(claims | {"exp": now - 60}, secret, "HS256"), 401),
        ("no exp", "Bearer " + jwt.encode(claims, secret, "HS256"), 401),
    ]
    if allowed == SIGNED:  # no token opens it, not even a valid admin's
        return tries + [("a valid token", _bearer(secret, "admin-1", "admin", [j.project_id]), 401)]
    staff_roles = [r for r in allowed if r != "admin"]
    if staff_roles and row.other_project is not None:
        role = "manager" if "manager" in staff_roles else staff_roles[0]
        tries.append(("other project", _bearer(secret, "stranger", role, [str(uuid.uuid4())]), row.other_project))
    for wrong in (r for r in (*STAFF, GROUP_MANAGER, *OUTSIDE_ROLES) if r not in allowed):  # a notary too (issue 25)
        tries.append((f"wrong role {wrong}", _as(secret, wrong, j, sub=f"{wrong}-9"), 403))
    if GROUP_MANAGER in allowed and row.other_project is not None:  # a group manager of a sibling unit
        sibling = _bearer(secret, "gm-sibling", GROUP_MANAGER, [], (SIBLING.get(j.project_id, ""),))
        tries.append(("group manager of a sibling unit", sibling, row.other_project))
    if row.for_customer and "consultant" in allowed:
        tries.append(("colleague's customer", _bearer(secret, "consultant-2", "consultant", [j.project_id]), 404))
    return tries


@pytest.fixture(scope="module")
def declared(urls: Urls) -> Declared:
    """(service, METHOD, path) → the roles its operation declares may call it (`x-roles`)."""
    return {
        (s, m.upper(), p): roles_of(operation)
        for s in SERVICES
        for p, ops in httpx.get(f"{getattr(urls, s)}/openapi.json", timeout=10).json()["paths"].items()
        for m, operation in ops.items()
    }


def _allowed(declared: Declared, row: Row) -> tuple[str, ...]:
    allowed = declared[(row.service, row.method, row.path)]
    assert allowed, f"{row.method} {row.path} declares nobody: services/{row.service}/app.py ROLES"
    return allowed


def test_every_route_has_a_row(declared: Declared) -> None:
    assert set(declared) == {(r.service, r.method, r.path) for r in ROWS}


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.method} {r.path}" for r in ROWS])
def test_each_route_refuses_whom_it_must(row: Row, urls: Urls, journey: Journey, settings, declared: Declared) -> None:
    wrong = []
    for what, authorization, expected in _refusals(settings.jwt_secret, row, _allowed(declared, row), journey):
        answer = _call(urls, row, journey, authorization)
        body = answer.json() if answer.content else None
        code = body.get("error", {}).get("code") if isinstance(body, dict) else None
        if answer.status_code != expected or not code:
            wrong.append(f"{what}: {answer.status_code} {answer.text[:200]} (expected {expected})")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("row", ROWS, ids=[f"{r.method} {r.path}" for r in ROWS])
def test_every_declared_role_is_let_through(
    row: Row, urls: Urls, journey: Journey, settings, declared: Declared
) -> None:
    allowed = _allowed(declared, row)
    if allowed == SIGNED:  # the property company signs with its endpoint's secret
        body = orjson.dumps(row.body(journey) if row.body else {})
        answer = httpx.post(
            getattr(urls, row.service) + _path(row, journey),
            content=body,
            timeout=15,
            headers=signed_headers(journey.webhook["secret"], body),
        )
        assert answer.status_code == 200, answer.text
        return
    refused = []
    for role in allowed:
        answer = _call(urls, row, journey, _as(settings.jwt_secret, role, journey))
        if answer.status_code in (401, 403, 404):
            refused.append(f"{role}: {answer.status_code} {answer.text[:300]}")
        elif row.path.endswith("/rotate-secret"):  # the property company signs with the newest secret from now on
            journey.webhook["secret"] = answer.json()["secret"]
    assert not refused, "\n".join(refused)
