"""The whole sales journey over HTTP against the four services running as processes.

Real PostgreSQL, real broker; the hand-off is read from estate.property.handoff.v1.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, timedelta

import httpx

from shared.http.tokens import make_token
from shared.kernel.defaults import DEFAULTS
from shared.tools.demo import Journey, Urls
from tests.support.polling import async_wait_for

SECRET = "test-secret"


def _auth(project_id: str, role: str, sub: str | None = None, secret: str = SECRET) -> dict[str, str]:
    token = make_token(secret, sub or f"{role}-1", role, [project_id], name=role.title())
    return {"Authorization": f"Bearer {token}"}


async def test_the_property_company_gets_the_handoff_by_signed_webhook_and_acknowledges_it(journey: Journey) -> None:
    """Issue 12 over four processes: the reference receiver verified the signature (standardwebhooks) and its
    acknowledgement reached leads' timeline (the demo waits for it)."""
    [event] = journey.webhook["received"]
    assert event["id"] == journey.handoff["id"] and event["data"]["handoff_id"] == journey.handoff["data"]["handoff_id"]
    assert journey.webhook["acknowledged"] == [journey.handoff["data"]["handoff_id"]]
    assert any("acknowledged" in step for step in journey.steps)


async def test_the_journey_ends_with_the_property_handoff(journey: Journey) -> None:
    data = journey.handoff["data"]
    assert journey.handoff["type"] == "handoff"
    assert data["unit"]["building"] == "B1" and data["unit"]["number"] == "1801"
    assert data["resident"]["name"] == "Zhang San" and data["resident"]["phone"]  # consented
    assert data["contract_no"].startswith("HT-")
    assert data["project"]["id"] == journey.project_id
    assert journey.receipt["amount"] == "20000.00" and journey.receipt["amount_in_words"] == "贰万元整"


async def test_the_referral_is_rewarded_once_the_referred_buyer_signs(journey: Journey, urls: Urls) -> None:
    """R34 over four processes: the buyer was registered as referred by an earlier customer; inventory's
    contract-signed reached leads, which rewarded both sides (the demo waited for `rewarded`)."""
    referral = journey.referral
    assert (referral["customer_id"], referral["referrer_customer_id"]) == (journey.customer_id, journey.referrer_id)
    assert referral["status"] == "rewarded" and referral["rewarded_at"]
    assert referral["reward"] == DEFAULTS.referral_reward  # the demo's project keeps the default
    async with httpx.AsyncClient() as http:
        for customer in (journey.customer_id, journey.referrer_id):
            r = await http.get(
                f"{urls.leads}/v1/customers/{customer}/timeline", headers=_auth(journey.project_id, "manager")
            )
            assert "referral_rewarded" in {e["kind"] for e in r.json()["timeline"]}  # same transaction as the reward


async def test_the_weekly_review_counts_the_sale_for_its_consultant(journey: Journey) -> None:
    """R2, R17: this week's review has consultant-1's whole sale, consultant-2's registered referrer and the buyer's
    needs; the CSV export has one row per consultant."""
    review = journey.weekly
    assert re.fullmatch(r"\d{4}-W\d{2}", review["week"]) and review["project_id"] == journey.project_id
    rows = {row["consultant_id"]: row for row in review["by_consultant"]}
    sale = rows["consultant-1"]
    assert sale["new_customers"] == 1 and sale["followups"] >= 1
    assert all(sale[name] == 1 for name in ("holds", "deposits", "subscriptions", "contracts"))
    assert rows["consultant-2"]["new_customers"] == 1
    assert {"need": "layout:3BR", "customers": 1} in review["project"]["most_asked_needs"]
    header, *lines = journey.weekly_csv.splitlines()
    assert header.startswith("consultant_id,new_customers,")
    assert sorted(line.split(",")[0] for line in lines) == sorted(rows)


async def test_the_unit_ends_handed_over_and_the_timeline_tells_the_story(journey: Journey, urls: Urls) -> None:
    async with httpx.AsyncClient() as http:
        unit = (
            await http.get(f"{urls.inventory}/v1/units/{journey.unit_id}", headers=_auth(journey.project_id, "manager"))
        ).json()
        assert unit["status"] == "handed_over"

        wanted = {
            "registered",
            "unit_held",
            "deposit_verified",
            "subscription_signed",
            "payment_received",
            "contract_signed",
            "mortgage_appointment",
            "handed_over",
        }

        async def timeline_complete() -> set[str]:
            r = await http.get(
                f"{urls.leads}/v1/customers/{journey.customer_id}/timeline",
                headers=_auth(journey.project_id, "manager"),
            )
            kinds = {e["kind"] for e in r.json()["timeline"]} if r.status_code == 200 else set()
            return kinds if wanted <= kinds else set()

        await async_wait_for(timeline_complete, timeout=60, what="the whole journey on the timeline")


async def test_reminders_were_scheduled_for_down_payment_and_mortgage(journey: Journey, urls: Urls) -> None:
    async with httpx.AsyncClient() as http:

        async def reminders() -> list:
            r = await http.get(
                f"{urls.notifications}/v1/reminders",
                params={"sale_id": journey.sale_id},
                headers=_auth(journey.project_id, "manager"),
            )
            body = r.json() if r.status_code == 200 else []
            items = body.get("reminders", body) if isinstance(body, dict) else body
            return items if len(items) >= 5 else []

        items = await async_wait_for(reminders, timeout=60)
    assert len(items) >= 5  # down payment 5 and 2 days before, mortgage 7, 3 and 1 days before (R28, R30)


async def _until(http: httpx.AsyncClient, method: str, url: str, headers: dict, status: int, **kw) -> httpx.Response:
    """Retry while another service's event is still on its way; return the first answer with `status`."""

    async def attempt():
        r = await http.request(method, url, headers=headers, **kw)
        return r if r.status_code == status else None

    return await async_wait_for(attempt, timeout=60, interval=0.2, what=f"{method} {url} → {status}")


async def test_every_error_code_of_the_journey_calls(journey: Journey, urls: Urls) -> None:
    pid = journey.project_id
    consultant, other = _auth(pid, "consultant", "c-err"), _auth(pid, "consultant", "c-other")
    finance, manager = _auth(pid, "finance", "f-err"), _auth(pid, "manager", "m-err")
    async with httpx.AsyncClient(timeout=15) as http:
        assert (await http.get(f"{urls.inventory}/v1/projects/{pid}/units")).status_code == 401
        assert (
            await http.get(f"{urls.inventory}/v1/projects/{pid}/units", headers={"Authorization": "Bearer nonsense"})
        ).status_code == 401
        assert (
            await http.post(f"{urls.inventory}/v1/projects", json={"code": "X", "name": "X"}, headers=consultant)
        ).status_code == 403
        assert (
            await http.get(f"{urls.inventory}/v1/projects/{pid}/units", headers=_auth(str(uuid.uuid4()), "manager"))
        ).status_code == 403

        def customer(name: str, phone: str) -> dict:
            return {"project_id": pid, "name": name, "phone": phone, "source": "walk_in"}

        first = await http.post(f"{urls.leads}/v1/customers", json=customer("A", "13700000001"), headers=consultant)
        again = await http.post(f"{urls.leads}/v1/customers", json=customer("A", "137 0000 0001"), headers=other)
        assert first.status_code == 201 and again.status_code == 409  # a colleague's protected customer (v1.1)
        assert again.json()["error"]["code"] == "customer_protected" and first.json()["id"] not in again.text
        assert (await http.get(f"{urls.leads}/v1/customers/{first.json()['id']}", headers=other)).status_code == 404
        bad_phone = await http.post(f"{urls.leads}/v1/customers", json=customer("B", "123"), headers=consultant)
        assert bad_phone.json()["error"]["code"] == "invalid_phone"
        second = (
            await http.post(f"{urls.leads}/v1/customers", json=customer("C", "13700000002"), headers=other)
        ).json()
        a_id, c_id = first.json()["id"], second["id"]

        units = (
            await http.get(f"{urls.inventory}/v1/projects/{pid}/units", params={"building": "B2"}, headers=consultant)
        ).json()
        unit = units[0]["id"]
        r = await http.post(
            f"{urls.inventory}/v1/units/{unit}/holds", json={"customer_id": str(uuid.uuid4())}, headers=consultant
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == "unknown_customer"
        hold = (
            await _until(
                http, "POST", f"{urls.inventory}/v1/units/{unit}/holds", consultant, 201, json={"customer_id": a_id}
            )
        ).json()
        taken = await _until(
            http, "POST", f"{urls.inventory}/v1/units/{unit}/holds", other, 409, json={"customer_id": c_id}
        )
        assert taken.json()["error"]["code"] == "unit_not_available"
        r = await http.post(
            f"{urls.inventory}/v1/units/{unit}/quote", json={"discount_percent": "50"}, headers=consultant
        )
        assert r.status_code == 422 and r.json()["error"]["code"] == "price_below_filed"

        base = {
            "unit_id": unit,
            "hold_id": hold["hold_id"],
            "customer_id": a_id,
            "amount": "20000.00",
            "method": "bank_transfer",
            "source_of_funds": "savings",
        }
        deposit = (await _until(http, "POST", f"{urls.payments}/v1/deposits", finance, 201, json=base)).json()
        for over, status, code in (
            ({"customer_id": c_id}, 409, "hold_not_current"),
            ({"method": "cash", "amount": "10000.00"}, 422, "cash_over_limit"),
            ({"method": "cheque"}, 422, "cheque_no_required"),
            ({"method": "cash", "amount": "500.00", "currency": "USD"}, 422, "note_serials_required"),
            ({"payer": {"name": "Uncle"}}, 422, "payer_statement_required"),
            ({}, 409, "deposit_exists"),
            ({"amount": 20000}, 422, "invalid_amount"),
        ):
            r = await http.post(f"{urls.payments}/v1/deposits", json=base | over, headers=finance)
            assert (r.status_code, r.json()["error"]["code"]) == (status, code), r.text
        url = f"{urls.payments}/v1/deposits/{deposit['id']}/verifications"
        await http.post(url, headers=finance)
        r = await http.post(url, headers=finance)
        assert r.status_code == 409 and r.json()["error"]["code"] == "same_verifier"
        assert (await http.post(url, headers=manager)).json()["status"] == "verified"

        async def sale_opened():
            body = (await http.get(f"{urls.inventory}/v1/units/{unit}", headers=manager)).json()
            return body.get("sale_id")

        sale = await async_wait_for(sale_opened, timeout=60, interval=0.2, what="the sale opened")
        contract = {"contract_no": "HT-E", "signatory": "attorney", "poa_notarized": False, "id_copy_kept": True}
        r = await http.post(f"{urls.inventory}/v1/sales/{sale}/contract", json=contract, headers=manager)
        assert r.status_code == 409 and r.json()["error"]["code"] == "invalid_transition"
        await http.post(
            f"{urls.inventory}/v1/sales/{sale}/subscription",
            headers=manager,
            json={
                "buyer_signed": True,
                "down_payment": {"amount": "100.00", "due_date": (date.today() + timedelta(days=30)).isoformat()},
            },
        )
        r = await http.post(f"{urls.inventory}/v1/sales/{sale}/contract", json=contract, headers=manager)
        assert r.status_code == 422 and r.json()["error"]["code"] == "poa_not_notarized"
