"""Issue 10 after the sale, on real PostgreSQL: a deal passes to after-sales (R31), the return visit falls due
after handover and is recorded once (R33), owners who consented hear of a new project once, as a contact (R15,
R33), and the managers' 09:00 digest of overdue follow-ups goes out once a day (R13). Instants in the tests are
fixed (far from the wall clock) so that the services' own minute jobs never decide an outcome."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.leads import consumers, use_cases
from shared.messaging import topics as t
from shared.trust import orgs
from shared.trust.pii import Vault
from tests.support.leads import apply, auth, outbox_for, phone, register


async def _project(leads, pid: str, org_id: str | None = None, **settings) -> None:
    data = {"project_id": pid, "code": pid[:4], "name": f"Project {pid[:4]}", "settings": settings, "org_id": org_id}
    await apply(leads, consumers.on_project_created, t.PROJECT_CREATED, data, pid)


async def _handover(leads, settings, pid: str, cid: str, at: str = "2020-01-01T10:00:00+08:00") -> str:
    sale = str(uuid.uuid4())
    data = {"sale_id": sale, "unit_id": str(uuid.uuid4()), "customer_id": cid, "handed_over_at": at}
    await apply(leads, consumers.handoff_builder(Vault(settings.pii_key)), t.HANDOVER_COMPLETED, data, pid)
    return sale


async def _visits(leads, settings, pid: str, role: str = "service", **query) -> list[dict]:
    response = await leads.client.get(
        "/v1/aftersales/visits", params={"project_id": pid} | query, headers=auth(settings, role, pid)
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_return_visit_falls_due_after_handover_and_is_recorded_once_r33(leads, settings) -> None:
    pid = str(uuid.uuid4())
    await _project(leads, pid, return_visit_days=30)
    full_phone = phone()
    cid = (await register(leads, settings, pid, "c-a", name="Han Meimei", phone=full_phone)).json()["id"]
    sale = await _handover(leads, settings, pid, cid)
    [visit] = await _visits(leads, settings, pid)
    assert (visit["sale_id"], visit["status"], visit["name"]) == (sale, "due", "Han Meimei")
    assert datetime.fromisoformat(visit["due_at"]) == datetime(2020, 1, 31, 2, 0, tzinfo=UTC)
    assert visit["phone"] != full_phone and full_phone[-4:] in visit["phone"]
    assert [v["id"] for v in await _visits(leads, settings, pid, "manager", due="overdue")] == [visit["id"]]
    refused = await leads.client.get(
        "/v1/aftersales/visits", params={"project_id": pid}, headers=auth(settings, "consultant", pid)
    )
    assert refused.status_code == 403
    path, service = f"/v1/aftersales/visits/{visit['id']}", auth(settings, "service", pid, "s-1")
    blank = await leads.client.post(path, json={"outcome": "  "}, headers=service)
    assert (blank.status_code, blank.json()["error"]["code"]) == (422, "invalid_outcome")
    elsewhere = await leads.client.post(
        path, json={"outcome": "ok"}, headers=auth(settings, "service", str(uuid.uuid4()))
    )
    assert elsewhere.status_code == 404
    done = await leads.client.post(path, json={"outcome": "happy, a dripping tap", "notes": "plumber"}, headers=service)
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["done_by"], done.json()["outcome"]) == (
        "done",
        "s-1",
        "happy, a dripping tap",
    )
    again = await leads.client.post(path, json={"outcome": "again"}, headers=service)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "visit_recorded")
    assert await _visits(leads, settings, pid, due="overdue") == []
    async with leads.pool.acquire() as conn:
        sealed = await conn.fetchval("SELECT outcome_enc FROM return_visits WHERE id = $1", uuid.UUID(visit["id"]))
        kinds = [e["kind"] for e in await use_cases.timeline(conn, uuid.UUID(cid))]
    assert b"dripping" not in sealed  # R18: what the owner said rests sealed
    assert {"passed_to_aftersales", "return_visit_recorded"} <= set(kinds)


async def test_a_replayed_handover_opens_one_return_visit_r33(leads, settings) -> None:
    pid = str(uuid.uuid4())
    cid = (await register(leads, settings, pid)).json()["id"]
    data = {"sale_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4()), "customer_id": cid}
    data["handed_over_at"] = "2020-01-01T10:00:00+08:00"
    for _ in range(2):
        await apply(leads, consumers.handoff_builder(Vault(settings.pii_key)), t.HANDOVER_COMPLETED, data, pid)
    visits = await _visits(leads, settings, pid)
    assert len(visits) == 1
    assert datetime.fromisoformat(visits[0]["due_at"]) == datetime(2020, 3, 31, 2, 0, tzinfo=UTC)  # 90 days (default)


async def _deal_steps(leads, pid: str, cid: str, mortgage_at: str) -> str:
    ids = {"sale_id": str(uuid.uuid4()), "unit_id": str(uuid.uuid4()), "customer_id": cid}
    subscribed = ids | {"price": "1000000.00", "down_payment": {"amount": "300000.00", "due_date": "2098-01-01"}}
    await apply(leads, consumers.on_subscription_signed, t.SUBSCRIPTION_SIGNED, subscribed, pid)
    for amount in ("100000.00", "200000.00"):  # paid in two parts: the sum counts
        paid = ids | {"payment_id": str(uuid.uuid4()), "kind": "down_payment", "amount": amount}
        await apply(leads, consumers.on_payment_received, t.PAYMENT_RECEIVED, paid, pid)
    contract = ids | {"contract_no": "HT-1", "signed_at": "2098-01-02T10:00:00+08:00"}
    await apply(leads, consumers.on_contract_signed, t.CONTRACT_SIGNED, contract, pid)
    bank = ids | {"appointment_id": str(uuid.uuid4()), "at": mortgage_at, "place": "Bank", "documents": ["ID"]}
    await apply(leads, consumers.on_mortgage_appointment, t.MORTGAGE_APPOINTMENT_SCHEDULED, bank, pid)
    return ids["sale_id"]


async def test_a_deal_passes_to_aftersales_once_paid_signed_and_papers_in_r31(leads, settings) -> None:
    pid = str(uuid.uuid4())
    buyer = (await register(leads, settings, pid, "c-a", grade="A")).json()["id"]
    other = (await register(leads, settings, pid, "c-a", grade="A")).json()["id"]
    sale = await _deal_steps(leads, pid, buyer, "2099-01-01T10:00:00+08:00")
    before, after = datetime(2098, 12, 31, tzinfo=UTC), datetime(2099, 1, 2, tzinfo=UTC)
    async with leads.pool.acquire() as conn:
        assert await use_cases.pass_due_deals(conn, uuid.UUID(sale), now=before) == 0  # the bank has not seen them
        overdue = {i["customer_id"] for i in await use_cases.overdue_followups(conn, uuid.UUID(pid), before)}
        assert overdue == {buyer, other}
        assert await use_cases.pass_due_deals(conn, uuid.UUID(sale), now=after) == 1
        assert await use_cases.pass_due_deals(conn, uuid.UUID(sale), now=after) == 0  # once
        overdue = {i["customer_id"] for i in await use_cases.overdue_followups(conn, uuid.UUID(pid), after)}
        kinds = [e["kind"] for e in await use_cases.timeline(conn, uuid.UUID(buyer))]
    assert overdue == {other}  # R31: the consultant's duty for the buyer has ended
    assert "passed_to_aftersales" in kinds


async def test_a_deal_with_the_down_payment_short_stays_with_the_consultant_r31(leads, settings) -> None:
    pid = str(uuid.uuid4())
    buyer = (await register(leads, settings, pid)).json()["id"]
    sale = await _deal_steps(leads, pid, buyer, "2099-01-01T10:00:00+08:00")
    async with leads.pool.acquire() as conn:
        await conn.execute("UPDATE sales SET down_payment_paid = 299999.99 WHERE sale_id = $1", uuid.UUID(sale))
        assert await use_cases.pass_due_deals(conn, uuid.UUID(sale), now=datetime(2099, 2, 1, tzinfo=UTC)) == 0


async def _owner(leads, settings, pid: str, consent: bool) -> str:
    cid = (await register(leads, settings, pid, consent_share=consent)).json()["id"]
    await _handover(leads, settings, pid, cid)
    return cid


async def test_consenting_owners_hear_of_a_new_project_once_r33(leads, settings) -> None:
    old = str(uuid.uuid4())
    told, silent, other = [await _owner(leads, settings, old, consent) for consent in (True, False, True)]
    new = str(uuid.uuid4())
    await _project(leads, new)
    await _project(leads, new)  # its settings changed: no second round of news
    news = await _news(leads, (told, silent, other), new)
    assert [len(news[c]) for c in (told, silent, other)] == [1, 0, 1]
    assert news[told][0]["data"]["new_project_name"] == f"Project {new[:4]}"


async def test_news_of_a_group_project_goes_to_owners_of_that_group_only_r33(leads, settings) -> None:
    ours, theirs = str(uuid.uuid4()), str(uuid.uuid4())  # two groups' root units
    async with leads.pool.acquire() as conn:
        for root in (ours, theirs):
            await orgs.save_org(conn, root, None, [root])
    home, elsewhere, new = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    await _project(leads, home, ours)
    await _project(leads, elsewhere, theirs)
    in_group, other_group = await _owner(leads, settings, home, True), await _owner(leads, settings, elsewhere, True)
    await _project(leads, new, ours)
    news = await _news(leads, (in_group, other_group), new)
    assert [len(news[c]) for c in (in_group, other_group)] == [1, 0]


async def test_news_is_a_contact_and_waits_for_the_next_morning_past_the_cap_r15_r33(leads, settings) -> None:
    old = str(uuid.uuid4())
    await _project(leads, old, timezone="Asia/Shanghai", max_contacts_per_day=1)
    owner = await _owner(leads, settings, old, True)
    first, second = uuid.uuid4(), uuid.uuid4()
    ten = datetime(2031, 5, 5, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    async with leads.pool.acquire() as conn:
        await use_cases.tell_owners_of_new_project(conn, first, "North", now=ten)
        await use_cases.tell_owners_of_new_project(conn, second, "South", now=ten + timedelta(hours=1))
    sent = {e["data"]["new_project_id"]: e["data"]["send_at"] for e in (await _news(leads, [owner]))[owner]}
    assert datetime.fromisoformat(sent[str(first)]) == ten
    assert datetime.fromisoformat(sent[str(second)]) == ten + timedelta(days=1)  # one contact a day (R15)


async def _news(leads, customers, project: str | None = None) -> dict[str, list[dict]]:
    async with leads.pool.acquire() as conn:
        news = {c: await outbox_for(conn, t.OWNER_NEWS, c) for c in customers}
    return {c: [e for e in events if project in (None, e["data"]["new_project_id"])] for c, events in news.items()}


async def test_the_managers_digest_goes_out_once_at_nine_project_time_r13(leads, settings) -> None:
    pid = str(uuid.uuid4())
    await _project(leads, pid, timezone="Asia/Shanghai")
    for consultant in ("c-a", "c-a", "c-b"):
        await register(leads, settings, pid, consultant, grade="B")
    early, nine = datetime(2031, 3, 3, 0, 59, tzinfo=UTC), datetime(2031, 3, 3, 1, 5, tzinfo=UTC)  # 08:59, 09:05
    async with leads.pool.acquire() as conn:
        await use_cases.send_digests(conn, now=early)
        assert await _digests(conn, pid, "2031-03-03") == []
        await use_cases.send_digests(conn, now=nine)
        await use_cases.send_digests(conn, now=nine)
        [digest] = await _digests(conn, pid, "2031-03-03")
    lines = {
        line["consultant_id"]: (line["followups"], line["callbacks"], line["consultant_name"])
        for line in digest["consultants"]
    }
    assert digest["overdue"] == 3 and lines == {"c-a": (2, 0, "C-A"), "c-b": (1, 0, "C-B")}
    assert [line["consultant_id"] for line in digest["consultants"]] == ["c-a", "c-b"]  # most overdue first


async def _digests(conn, pid: str, day: str) -> list[dict]:
    events = await outbox_for(conn, t.OVERDUE_DIGEST, pid)
    return [e["data"] for e in events if e["data"]["day"] == day]
