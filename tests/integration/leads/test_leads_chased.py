"""Issue 23, R13: the count of customers each consultant has to chase (`chased`, kept by the writes' own triggers)
always equals the count recomputed from the customers, whatever changed them: registration, grades, follow-ups,
assignment, closing, a visitor type, a sale passing to after-sales, a bulk UPDATE by hand. The weekly review's
overdue column comes from it, and agrees with the overdue list."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from services.leads import use_cases
from tests.support.leads import auth, register

RECOUNT = """
SELECT c.owner_id, count(*) AS n FROM customers c
 WHERE c.project_id = $1 AND c.closed_at IS NULL AND c.visitor_type = 'customer' AND c.followup_due_at IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM sales s WHERE s.customer_id = c.id AND s.aftersales_since IS NOT NULL)
 GROUP BY 1
"""


async def _kept_and_recounted(conn, pid: uuid.UUID) -> tuple[dict[str, int], dict[str, int]]:
    kept = {r["owner_id"]: r["customers"] for r in await conn.fetch("SELECT * FROM chased WHERE project_id = $1", pid)}
    recounted = {r["owner_id"]: r["n"] for r in await conn.fetch(RECOUNT, pid)}
    return {k: v for k, v in kept.items() if v}, recounted


async def test_the_kept_count_of_chased_customers_follows_every_kind_of_write(leads, settings) -> None:
    pid = str(uuid.uuid4())
    project = uuid.UUID(pid)
    ids = [(await register(leads, settings, pid, f"c-{i % 3}", grade="B")).json()["id"] for i in range(9)]
    await register(leads, settings, pid, "c-0")  # no grade, no next contact: no due time, not counted
    manager = auth(settings, "manager", pid)
    await leads.client.put(f"/v1/customers/{ids[0]}/grade", json={"grade": "A"}, headers=manager)
    body = {"consultant_id": "c-9", "reason": "she moved desks"}
    assert (await leads.client.post(f"/v1/customers/{ids[1]}/assign", json=body, headers=manager)).status_code == 200
    lost = {"reason": "price"}
    assert (await leads.client.post(f"/v1/customers/{ids[2]}/close", json=lost, headers=manager)).status_code == 200
    peer = {"visitor_type": "competitor_peer"}
    assert (await leads.client.patch(f"/v1/customers/{ids[3]}", json=peer, headers=manager)).status_code == 200
    async with leads.pool.acquire() as conn:
        sale = (uuid.uuid4(), uuid.uuid4(), uuid.UUID(ids[4]))
        await conn.execute("INSERT INTO sales (sale_id, unit_id, customer_id) VALUES ($1, $2, $3)", *sale)
        await conn.execute("UPDATE sales SET aftersales_since = now() WHERE sale_id = $1", sale[0])
        await conn.execute(  # by hand, many rows in one statement: the bulk move of a consultant's customers
            "UPDATE customers SET owner_id = 'c-8', last_touch_at = now() - interval '40 days' WHERE owner_id = 'c-2'"
            " AND project_id = $1",
            project,
        )
        kept, recounted = await _kept_and_recounted(conn, project)
    assert kept == recounted and sum(kept.values()) == 6, (kept, recounted)


async def test_the_weekly_overdue_column_agrees_with_the_overdue_list(leads, settings) -> None:
    pid = str(uuid.uuid4())
    ids = [(await register(leads, settings, pid, f"c-{i % 2}", grade="A")).json()["id"] for i in range(6)]
    async with leads.pool.acquire() as conn:  # four of them were last touched long ago
        await conn.execute(
            "UPDATE customers SET last_touch_at = now() - interval '20 days' WHERE id = ANY($1::uuid[])",
            [uuid.UUID(i) for i in ids[:4]],
        )
        now = datetime.now(UTC) + timedelta(seconds=1)
        listed = Counter(i["consultant_id"] for i in await use_cases.overdue_followups(conn, uuid.UUID(pid), now))
        kept = {
            c["consultant_id"]: c["followups"] for c in await use_cases.overdue_kept_counts(conn, uuid.UUID(pid), now)
        }
    assert kept == dict(listed) == {"c-0": 2, "c-1": 2}
    review = await leads.client.get(f"/v1/projects/{pid}/reports/weekly", headers=auth(settings, "manager", pid))
    assert {row["consultant_id"]: row["overdue"] for row in review.json()["by_consultant"]} == {"c-0": 2, "c-1": 2}
