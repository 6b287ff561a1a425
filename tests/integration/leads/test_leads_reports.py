"""Issue 22, the group's reports on real PostgreSQL: a known day of three projects under one org unit gives every
figure exactly — per project, per consultant and for the org — in the daily (日报) and monthly (月报) reports, the
funnel and the league; targets (指标) and completion; the same figures in CSV and Excel, and never a formula;
who may see which report; an event twice counts once; rebuilt buckets equal the live ones."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date
from decimal import Decimal

import openpyxl
import orjson
import pytest

from services.leads import use_cases
from services.leads.api.report_models import DailyReport, FunnelReport, LeagueLine, MonthlyReport
from services.leads.store import remember_staff
from shared.http.exports import XLSX
from shared.http.tokens import make_token
from shared.messaging import topics as t
from shared.tools.maintenance import rebuild_reports
from tests.support.reports import (
    EXPECTED_CONSULTANTS,
    EXPECTED_FUNNEL,
    EXPECTED_LEAGUE,
    EXPECTED_ORG,
    EXPECTED_PROJECTS,
    Walker,
    at,
    metrics,
)

DAY = date(2026, 3, 4)  # a Wednesday in Shanghai; every figure is asked for by date, never "today"
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
async def walked(leads, settings):
    walker = Walker(leads, settings, DAY)
    walk = await walker.day_of_sales()
    async with leads.pool.acquire() as conn:  # a staff name is someone's input: one a spreadsheet would run
        await remember_staff(conn, walk.consultants["c2"], '=HYPERLINK("http://evil.example","x")')
        await remember_staff(conn, walk.consultants["c1"], "王小明")
    return walker


def _token(settings, role: str, projects=(), orgs=(), sub: str = "") -> dict[str, str]:
    token = make_token(settings.jwt_secret, sub or f"{role}-r", role, list(projects), name=sub or role, orgs=orgs)
    return {"Authorization": f"Bearer {token}"}


def _metrics(line: dict) -> dict:
    return {k: line[k] for k in metrics()}


async def _get(leads, path: str, headers: dict, **params):
    answer = await leads.client.get(path, params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer


async def test_the_known_day_gives_every_figure_per_project_consultant_and_org(leads, settings, walked) -> None:
    walk, admin = walked.walk, _token(settings, "admin")
    org = (await _get(leads, "/v1/reports/daily", admin, org_id=walk.org, date=DAY.isoformat())).json()
    DailyReport.model_validate(org)
    assert org["date"] == "2026-03-04" and org["org_id"] == walk.org and org["org_name"] == "EAST 区域"
    assert _metrics(org["totals"]) == EXPECTED_ORG
    assert [p["code"] for p in org["projects"]] == ["A1", "B2", "C3"]
    assert {p["code"]: _metrics(p) for p in org["projects"]} == EXPECTED_PROJECTS
    assert all("consultants" not in p for p in org["projects"])
    for code, pid in walk.projects.items():
        one = (await _get(leads, "/v1/reports/daily", admin, project_id=pid, date=DAY.isoformat())).json()
        assert (
            _metrics(one["totals"]) == EXPECTED_PROJECTS[code]
            and _metrics(one["projects"][0]) == EXPECTED_PROJECTS[code]
        )
        people = {c["consultant_id"]: _metrics(c) for c in one["projects"][0]["consultants"]}
        mine = {k: v for k, v in walk.consultants.items() if v in people}
        assert {k: people[v] for k, v in mine.items()} == {k: EXPECTED_CONSULTANTS[k] for k in mine}
    before = (await _get(leads, "/v1/reports/daily", admin, org_id=walk.org, date="2026-03-03")).json()
    assert _metrics(before["totals"]) == metrics()  # another day: nothing


async def test_a_month_and_the_league_and_the_funnel(leads, settings, walked) -> None:
    walk, gm = walked.walk, _token(settings, "group_manager", orgs=[walked.walk.root])
    month = (await _get(leads, "/v1/reports/monthly", gm, org_id=walk.org, month="2026-03")).json()
    MonthlyReport.model_validate(month)
    assert month["month"] == "2026-03" and _metrics(month["totals"]) == EXPECTED_ORG
    league = (await _get(leads, "/v1/reports/consultants", gm, org_id=walk.org, month="2026-03")).json()
    for line in league:
        LeagueLine.model_validate(line)
    ids = {v: k for k, v in walk.consultants.items()}
    assert [ids[line["consultant_id"]] for line in league] == EXPECTED_LEAGUE
    assert [line["rank"] for line in league] == [1, 2, 3, 4]
    assert league[1]["name"] == "王小明" and league[0]["project_id"] == walk.projects["B2"]
    assert {ids[line["consultant_id"]]: _metrics(line) for line in league} == EXPECTED_CONSULTANTS
    funnel = await _get(leads, "/v1/reports/funnel", gm, org_id=walk.org, **{"from": "2026-03-01", "to": "2026-03-31"})
    body = funnel.json()
    FunnelReport.model_validate(body)
    assert (body["from"], body["to"]) == ("2026-03-01", "2026-03-31")
    assert {k: body[k] for k in EXPECTED_FUNNEL} == EXPECTED_FUNNEL
    assert [p["registered"] for p in body["projects"]] == [3, 2, 1]


async def test_targets_and_their_completion(leads, settings, walked) -> None:
    walk = walked.walk
    gm, a1 = _token(settings, "group_manager", orgs=[walk.org]), walk.projects["A1"]
    path = f"/v1/projects/{a1}/targets/2026-03"
    given = {"subscriptions_amount": "4000000.00", "contracts_amount": "2000000.00", "collected": "1000000.00"}
    answer = await leads.client.put(path, json=given, headers=gm)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"project_id": a1, "month": "2026-03"} | given
    kept = await leads.client.put(path, json={"collected": "740000.00"}, headers=gm)  # the others stay
    assert kept.json()["contracts_amount"] == "2000000.00" and kept.json()["collected"] == "740000.00"
    b2 = await leads.client.put(
        f"/v1/projects/{walk.projects['B2']}/targets/2026-03", json={"contracts_amount": "2960000.00"}, headers=gm
    )
    assert b2.status_code == 200, b2.text
    month = (await _get(leads, "/v1/reports/monthly", gm, org_id=walk.org, month="2026-03")).json()
    lines = {p["code"]: p for p in month["projects"]}
    assert lines["A1"]["targets"] == given | {"collected": "740000.00"}
    assert lines["A1"]["completion"] == {"subscriptions_amount": 0.7325, "contracts_amount": 0.49, "collected": 0.5}
    assert lines["B2"]["completion"] == {"subscriptions_amount": None, "contracts_amount": 0.5, "collected": None}
    assert lines["C3"]["targets"] == {"subscriptions_amount": None, "contracts_amount": None, "collected": None}
    assert month["targets"] == {
        "subscriptions_amount": "4000000.00",
        "contracts_amount": "4960000.00",
        "collected": "740000.00",
    }
    assert month["completion"]["contracts_amount"] == 0.4960  # (980000 + 1480000) / 4960000
    for bad, code in (
        (("2026-13", {"collected": "1.00"}), "invalid_month"),
        (("2026-03", {"collected": 5}), "invalid_amount"),
    ):
        refused = await leads.client.put(f"/v1/projects/{a1}/targets/{bad[0]}", json=bad[1], headers=gm)
        assert (refused.status_code, refused.json()["error"]["code"]) == (422, code)
    manager = _token(settings, "manager", [a1])
    assert (await leads.client.put(path, json=given, headers=manager)).status_code == 403  # the group sets targets


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


async def test_csv_and_excel_carry_the_json_figures_and_never_a_formula(leads, settings, walked) -> None:
    walk, admin = walked.walk, _token(settings, "admin")
    query = {"project_id": walk.projects["A1"], "date": DAY.isoformat()}
    answer = (await _get(leads, "/v1/reports/daily", admin, **query)).json()
    sheet = await _get(leads, "/v1/reports/daily", admin | {"Accept": "text/csv"}, **query)
    assert sheet.headers["content-type"].startswith("text/csv")
    rows = _csv(sheet.text)
    assert [r["table"] for r in rows] == ["totals", "projects", "consultants", "consultants"]
    totals = answer["totals"]
    assert rows[0]["holds_amount"] == totals["holds"]["amount"] and rows[0]["collected"] == totals["collected"]
    assert int(rows[0]["new_customers"]) == totals["new_customers"] and rows[0]["subscriptions_area_m2"] == "209.50"
    hostile = next(r for r in rows if r["consultant_id"] == walk.consultants["c2"])
    assert hostile["consultant_name"].startswith("'=") and hostile["refunded"] == "50000.00"
    cells = [cell for row in csv.reader(io.StringIO(sheet.text, newline="")) for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or (c[:1] == "-" and not _number(c))]
    book = await _get(leads, "/v1/reports/daily", admin | {"Accept": XLSX}, **query)
    assert book.headers["content-type"] == XLSX
    workbook = openpyxl.load_workbook(io.BytesIO(book.content))
    assert workbook.sheetnames == ["totals", "projects", "consultants"]
    header = [c.value for c in workbook["totals"][1]]
    values = dict(zip(header, [c for c in workbook["totals"][2]], strict=True))
    assert values["holds_amount"].data_type == "n" and values["holds_amount"].number_format == "0.00"
    assert Decimal(str(values["holds_amount"].value)).quantize(Decimal("0.01")) == Decimal(totals["holds"]["amount"])
    assert values["new_customers"].value == totals["new_customers"]
    every = [cell for ws in workbook for row in ws.iter_rows() for cell in row]
    assert not [c for c in every if c.data_type == "f"]
    hostile_cells = [c for c in every if isinstance(c.value, str) and c.value[:1] in ("=", "+", "-", "@")]
    assert hostile_cells and {c.data_type for c in hostile_cells} == {"s"}  # text cells of the text, as in the JSON
    for report, extra in (("monthly", {"month": "2026-03"}), ("funnel", {"from": "2026-03-04", "to": "2026-03-04"})):
        again = await _get(leads, f"/v1/reports/{report}", admin | {"Accept": "text/csv"}, org_id=walk.org, **extra)
        assert _csv(again.text)[0]["table"] == "totals"
    league = await _get(leads, "/v1/reports/consultants", admin | {"Accept": XLSX}, org_id=walk.org, month="2026-03")
    ranks = [[c.value for c in row][:2] for row in openpyxl.load_workbook(io.BytesIO(league.content))["league"]]
    assert ranks[0] == ["rank", "consultant_id"] and [r[1] for r in ranks[1:]] == [
        walk.consultants[c] for c in EXPECTED_LEAGUE
    ]


def _number(text: str) -> bool:
    try:
        Decimal(text)
        return True
    except ArithmeticError:
        return False


async def test_who_may_see_which_report(leads, settings, walked) -> None:
    walk = walked.walk
    a1, b2, day = walk.projects["A1"], walk.projects["B2"], {"date": DAY.isoformat()}

    async def status(headers, **params) -> tuple[int, str | None]:
        answer = await leads.client.get("/v1/reports/daily", params=day | params, headers=headers)
        return answer.status_code, answer.json().get("error", {}).get("code") if answer.status_code != 200 else None

    consultant, manager = _token(settings, "consultant", [a1]), _token(settings, "manager", [a1])
    assert await status(consultant, project_id=a1) == (403, "wrong_role")
    assert await status(_token(settings, "finance", [a1]), project_id=a1) == (403, "wrong_role")
    assert await status(manager, project_id=a1) == (200, None)
    assert await status(manager, project_id=b2) == (403, "wrong_project")
    assert await status(manager, org_id=walk.org) == (403, "wrong_role")
    region, sibling = (
        _token(settings, "group_manager", orgs=[walk.org]),
        _token(settings, "group_manager", orgs=[walk.sibling]),
    )
    assert await status(region, org_id=walk.org) == (200, None) and await status(region, project_id=b2) == (200, None)
    assert await status(region, org_id=walk.root) == (403, "wrong_org")  # above their unit
    assert await status(sibling, org_id=walk.org) == (403, "wrong_org")
    assert await status(sibling, project_id=a1) == (403, "wrong_project")
    admin = _token(settings, "admin")
    assert await status(admin, org_id=str(uuid.uuid4())) == (404, "not_found")
    assert await status(admin) == (422, "invalid_request")
    assert await status(admin, project_id=a1, org_id=walk.org) == (422, "invalid_request")
    assert await status(admin, project_id="not-an-id") == (422, "invalid_request")
    for bad in ("2026-3-4", "2026-02-30", "1999-01-01", "x" * 40):
        assert await status(admin, project_id=a1, date=bad) == (422, "invalid_date")
    month = await leads.client.get("/v1/reports/monthly", params={"project_id": a1, "month": "2026-00"}, headers=admin)
    assert month.json()["error"]["code"] == "invalid_month"
    span = {"project_id": a1, "from": "2026-03-05", "to": "2026-03-04"}
    funnel = await leads.client.get("/v1/reports/funnel", params=span, headers=admin)
    assert (funnel.status_code, funnel.json()["error"]["code"]) == (422, "invalid_range")
    assert (await leads.client.get("/v1/reports/daily", params={"project_id": a1})).status_code == 401


async def test_an_event_applied_twice_counts_once(leads, settings, walked) -> None:
    walk, admin, later = walked.walk, _token(settings, "admin"), date(2026, 4, 10)  # a day of its own
    query = {"project_id": walk.projects["C3"], "date": later.isoformat()}
    body = {"hold_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4()), "building": "9", "number": "901"}
    body |= {"customer_id": walk.customers["Y1"], "consultant_id": walk.consultants["c4"]}
    body |= {"expires_at": at(later, 23).isoformat(), "list_price": "800000.00", "area_m2": "66.66"}
    env = await walked.event(t.UNIT_LOCKED, body, walk.projects["C3"], at(later, 20))
    async with leads.pool.acquire() as conn, conn.transaction():
        await use_cases.count_event(conn, env)  # the same event once more: the journal knows it
    after = (await _get(leads, "/v1/reports/daily", admin, **query)).json()["totals"]
    assert after == metrics(holds={"count": 1, "area_m2": "66.66", "amount": "800000.00"})


async def _buckets(leads, projects: list[uuid.UUID]) -> tuple[list, list, list]:
    """The walk's buckets (other modules' projects share the database)."""
    where = "WHERE day >= $1 AND project_id = ANY($2::uuid[])"
    async with leads.pool.acquire() as conn:
        days = await conn.fetch(
            f"SELECT * FROM report_days {where} ORDER BY project_id, day, consultant_id", DAY, projects
        )
        funnel = await conn.fetch(f"SELECT * FROM report_funnel_days {where} ORDER BY project_id, day", DAY, projects)
        people = await conn.fetch(f"SELECT * FROM report_funnel_customers {where} ORDER BY customer_id", DAY, projects)
    return [dict(r) for r in days], [dict(r) for r in funnel], [dict(r) for r in people]


async def test_rebuilt_buckets_equal_what_live_updates_built(leads, settings, walked) -> None:
    projects = [uuid.UUID(p) for p in walked.walk.projects.values()]
    live = await _buckets(leads, projects)
    assert len(live[0]) >= 4 and len(live[1]) == 3 and len(live[2]) == 6
    async with leads.pool.acquire() as conn:
        await conn.execute("UPDATE report_days SET visits = visits + 7 WHERE day = $1", DAY)  # a damaged bucket
    replayed = await rebuild_reports(settings, DAY)  # what `estate reports rebuild --since 2026-03-04` runs
    assert replayed >= 20
    assert await _buckets(leads, projects) == live


async def _daily_reports(leads, org: str, day: date) -> list[dict]:
    async with leads.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT payload FROM outbox WHERE topic = $1 AND key = $2 ORDER BY id", t.DAILY_REPORT.name, org
        )
    events = [orjson.loads(r["payload"]) for r in rows]
    return [e for e in events if e["data"]["date"] == day.isoformat()]


async def test_the_morning_report_goes_once_to_each_org_unit_from_0830(leads, settings, walked) -> None:
    """Contract v1.2: from 08:30 (Shanghai) each unit gets yesterday's report once, even when asked again — by a
    restarted process, a second replica or a late start."""
    walk, morning = walked.walk, date(2026, 3, 5)
    async with leads.pool.acquire() as conn:
        await use_cases.send_morning_reports(conn, now=at(morning, 8, 29))
    assert await _daily_reports(leads, walk.org, DAY) == []  # not before 08:30
    async with leads.pool.acquire() as conn:
        assert await use_cases.send_morning_reports(conn, now=at(morning, 8, 30)) >= 3  # root, region, sibling
        assert await use_cases.send_morning_reports(conn, now=at(morning, 8, 31)) == 0
    async with leads.pool.acquire() as conn:  # another connection, as a restarted process would have
        assert await use_cases.send_morning_reports(conn, now=at(morning, 11, 0)) == 0
    [region] = await _daily_reports(leads, walk.org, DAY)
    assert region["data"] | {"totals": None} == {
        "org_id": walk.org,
        "org_name": "EAST 区域",
        "date": "2026-03-04",
        "projects": 3,
        "totals": None,
    }
    assert region["data"]["totals"] == EXPECTED_ORG
    [root] = await _daily_reports(leads, walk.root, DAY)
    [sibling] = await _daily_reports(leads, walk.sibling, DAY)
    assert root["data"]["totals"] == region["data"]["totals"] and sibling["data"]["totals"] == metrics()
    assert sibling["data"]["projects"] == 0 and region["project_id"] is None


async def test_a_unit_made_after_0830_gets_yesterdays_report_at_once(leads, settings, walked) -> None:
    late, unit = date(2026, 3, 6), str(uuid.uuid4())
    body = {"org_id": unit, "code": "NEW", "name": "新公司", "parent_id": walked.walk.root}
    await walked.event(
        t.ORG_CHANGED, body | {"path_ids": [walked.walk.root, unit], "path": "GRP/NEW"}, None, at(late, 7)
    )
    async with leads.pool.acquire() as conn:
        await use_cases.send_morning_reports(conn, now=at(late, 15, 0))
    [report] = await _daily_reports(leads, unit, date(2026, 3, 5))
    assert report["data"]["totals"] == metrics() and report["data"]["org_name"] == "新公司"
