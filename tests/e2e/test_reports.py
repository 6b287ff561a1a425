"""Issue 22 across real processes: a group's day walked over HTTP through the four services gives the reports'
figures exactly (every event reaching leads through the broker, per project, per consultant and for the org), the
files carry them, and the dashboard — in Debian's Chromium, driven by Playwright — shows the API's figures and its
charts, no customer data, on a laptop and on a phone; an expired link is refused. The screenshot is the README's."""

from __future__ import annotations

import os
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import async_playwright

from shared.http.tokens import make_token
from shared.tools.demo import Urls
from shared.trust.links import make_link
from tests.support.polling import async_wait_for
from tests.support.report_walk import EXPECTED, EXPECTED_TOTAL, Group, GroupWalk
from tests.support.reports import metrics

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FOUND = os.path.exists(CHROMIUM)
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "dashboard.png"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
SHANGHAI = ZoneInfo("Asia/Shanghai")
pytestmark = pytest.mark.timeout(240)


def _today() -> str:
    return datetime.now(UTC).astimezone(SHANGHAI).date().isoformat()


@pytest.fixture(scope="module")
async def group(urls: Urls, settings) -> Group:
    started = _today()
    walked = await GroupWalk(urls, settings.jwt_secret).walk()
    walked.link["days"] = " ".join(sorted({started, _today()}))
    return walked


def _gm(settings, group: Group) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {make_token(settings.jwt_secret, 'gm-r', 'group_manager', [], orgs=[group.region])}"
    }


def _figures(line: dict) -> dict:
    return {k: line[k] for k in metrics()}


async def _settled(urls: Urls, headers: dict, params: dict, expected: dict) -> dict:
    """The month's report once every event of the walk has reached leads (fresh projects: the walk is all of it)."""

    async def arrived() -> dict | None:
        async with httpx.AsyncClient(timeout=15) as http:
            answer = (await http.get(f"{urls.leads}/v1/reports/monthly", params=params, headers=headers)).json()
        return answer if _figures(answer["totals"]) == expected else None

    return await async_wait_for(arrived, timeout=120, interval=0.5, what=f"the walk's figures in {params}")


async def test_a_walked_day_gives_the_reports_figures_through_every_service(urls: Urls, settings, group: Group) -> None:
    gm, month = _gm(settings, group), group.link["days"][:7]
    answer = await _settled(urls, gm, {"org_id": group.region, "month": month}, EXPECTED_TOTAL)
    codes = {pid: code for code, pid in group.projects.items()}
    assert {codes[p["project_id"]]: _figures(p) for p in answer["projects"]} == EXPECTED
    async with httpx.AsyncClient(timeout=15) as http:
        for code, sub in zip(("P1", "P2"), group.consultants, strict=True):
            one = await http.get(
                f"{urls.leads}/v1/reports/monthly",
                params={"project_id": group.projects[code], "month": month},
                headers=gm,
            )
            [person] = one.json()["projects"][0]["consultants"]
            assert person["consultant_id"] == sub and _figures(person) == EXPECTED[code]
        if " " not in group.link["days"]:  # the walk did not straddle midnight: it is all today's
            daily = await http.get(
                f"{urls.leads}/v1/reports/daily",
                params={"org_id": group.region, "date": group.link["days"]},
                headers=gm,
            )
            assert _figures(daily.json()["totals"]) == EXPECTED_TOTAL
        league = (
            await http.get(
                f"{urls.leads}/v1/reports/consultants", params={"org_id": group.region, "month": month}, headers=gm
            )
        ).json()
        assert [line["consultant_id"] for line in league] == list(group.consultants)  # P1's contract ranks first
        sheet = await http.get(
            f"{urls.leads}/v1/reports/consultants",
            params={"org_id": group.region, "month": month},
            headers=gm | {"Accept": "text/csv"},
        )
        assert sheet.text.splitlines()[1].split(",")[1:4] == ["1", list(group.consultants)[0], "王 Alice"]
        manager = {"Authorization": _manager(settings, group.projects["P1"])}
        assert (
            await http.get(f"{urls.leads}/v1/reports/daily", params={"org_id": group.region}, headers=manager)
        ).status_code == 403


def _manager(settings, project: str) -> str:
    return f"Bearer {make_token(settings.jwt_secret, 'm-r', 'manager', [project])}"


async def test_the_dashboard_shows_the_apis_figures_and_charts_in_chromium(
    urls: Urls, settings, group: Group, tmp_path: Path
) -> None:
    assert CHROMIUM_FOUND, "Debian's chromium is missing: apt-get install chromium (make test does, as root)"
    gm = _gm(settings, group)
    await _settled(urls, gm, {"org_id": group.region, "month": group.link["days"][:7]}, EXPECTED_TOTAL)
    async with httpx.AsyncClient(timeout=15) as http:
        made = await http.post(f"{urls.leads}/v1/reports/links", json={"org_id": group.region, "hours": 2}, headers=gm)
        assert made.status_code == 201, made.text
        link = made.json()["url"].split("link=")[1]
        api = (await http.get(f"{urls.leads}/v1/reports/dashboard", params={"link": link})).json()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = await browser.new_page(viewport={"width": 1440, "height": 1000})
            await page.goto(made.json()["url"])
            await page.wait_for_selector("body[data-loaded]", timeout=20_000)
            shown = await page.evaluate(
                "() => [...document.querySelectorAll('[data-figure]')].map(e => ({path: e.dataset.figure, value:"
                " e.dataset.value, text: e.textContent, project: e.closest('[data-project]')?.dataset.project || null,"
                " consultant: e.closest('[data-consultant]')?.dataset.consultant || null}))"
            )
            _same_as_the_api(shown, api)
            assert (
                await page.evaluate(
                    "() => document.querySelectorAll('#chart-days canvas, #chart-funnel canvas').length"
                )
                >= 2
            )
            drawn = await page.evaluate(
                "() => echarts.getInstanceByDom(document.getElementById('chart-days')).getOption().series[0].data"
            )
            assert drawn == [float(d["subscriptions"]["amount"]) for d in api["days"]] and len(drawn) == 30
            content = await page.content() + await page.inner_text("body")
            for person in group.customers.values():  # no customer data anywhere
                assert person["phone"] not in content and person["id"] not in content
            for name in group.customers:
                assert name not in content
            await page.screenshot(
                path=str(SCREENSHOT if os.environ.get("ESTATE_UPDATE_SCREENSHOT") else tmp_path / "dashboard.png"),
                full_page=True,
            )
            phone = await browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
            await phone.goto(made.json()["url"])
            await phone.wait_for_selector("body[data-loaded]", timeout=20_000)
            assert await phone.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
            old, _ = make_link(
                settings.jwt_secret, "dashboard", {"org": group.region}, datetime.now(UTC) - timedelta(hours=3), 1, 72
            )
            expired = await phone.goto(made.json()["url"].split("?")[0] + "?link=" + old)
            assert expired.status == 410 and "链接已过期" in await phone.inner_text("body")
        finally:
            await browser.close()
    async with httpx.AsyncClient(timeout=15) as http:
        stale = await http.get(f"{urls.leads}/v1/reports/dashboard", params={"link": old})
        assert (stale.status_code, stale.json()["error"]["code"]) == (401, "link_expired")
        other = await http.get(f"{urls.leads}/v1/reports/dashboard", params={"link": link[:-2] + "xx"})
        assert other.json()["error"]["code"] == "invalid_link"
        refused = await http.post(
            f"{urls.leads}/v1/reports/links",
            json={"org_id": str(uuid.uuid4())},
            headers={"Authorization": f"Bearer {link}"},
        )
        assert refused.status_code == 401  # a link is no bearer token


def _same_as_the_api(shown: list[dict], api: dict) -> None:
    """Every figure on the page is the API's, in data and in the text a reader sees (¥, separators, % aside)."""
    by_project = {p["project_id"]: p for p in api["daily"]["projects"]}
    month = {p["project_id"]: p for p in api["monthly"]["projects"]}
    league = {(line["consultant_id"], line["project_id"]): line for line in api["league"]}
    checked = 0
    for figure in shown:
        head, _, rest = figure["path"].partition(".")
        if figure["consultant"]:
            source, path = league[(figure["consultant"], figure["project"])], figure["path"]
        elif figure["project"]:
            source, path = (by_project if head == "daily" else month)[figure["project"]], rest
        else:
            source, path = api, figure["path"]
        value = source
        for part in path.split("."):
            value = value[part]
        if isinstance(value, float):
            assert float(figure["value"]) == value, figure
        else:
            assert figure["value"] == ("" if value is None else str(value)), figure
        if value is not None and not isinstance(value, float):
            assert figure["text"].replace(",", "").replace("¥", "").replace(" m²", "") == str(value), figure
        checked += 1
    assert checked >= 60 and any(f["path"] == "daily.totals.new_customers" for f in shown)
