"""The journey the demo walks: project and units, a referred walk-in, a hold, the deposit counted twice, the sale
from subscription to mortgage appointment, then the handover. The standard's steps on the way (referral, claim,
call-back, weekly review) are in `standard.py`; the property company's side (webhook, hand-off, signed
acknowledgement) in `handoff.py`."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

from shared.kernel.clock import now_utc
from shared.tools.demo.driver import OK, Headers, Journey, StepFailed
from shared.tools.demo.handoff import HandoffSteps
from shared.tools.demo.standard import StandardSteps

DEPOSIT = {"amount": "20000.00", "method": "bank_transfer", "source_of_funds": "own savings", "reference": "TRX-001"}
DOCUMENTS = ["ID card", "income proof", "contract"]
# what Zhang San is looking for: the weekly review counts the needs new customers ask for most (R11, R17)
NEEDS = {"purpose": "own_use", "layouts": ["3BR"], "districts": ["Binjiang"]}


class Demo(StandardSteps, HandoffSteps):
    """One customer's journey, from the project's units to the keys, with the standard's steps on the way."""

    async def run(self) -> Journey:
        """Walk every step in order; each one raises StepFailed if the services answer otherwise."""
        try:
            await self._setup_project()
            async with self._property_company() as receiver:
                await self._referrer()
                await self._walk_in()
                await self._referral_noted()
                await self._claim_decided()
                await self._callback()
                await self._hold()
                await self._deposit()
                await self._sale()
                await self._contract_and_mortgage()
                await self._referral_rewarded()
                await self._handoff()
                await self._acknowledged(receiver)
            await self._weekly_review()  # last: the week's figures then hold the whole sale
            return self.j
        finally:
            await self.http.aclose()

    async def _setup_group(self, admin: dict[str, str], code: str) -> None:
        """The group's tree: the root, a region, the city company the project belongs to."""
        parent: str | None = None
        for unit, name in ((code, "Demo Group 演示集团"), ("EAST", "East China 华东"), ("HZ", "Hangzhou 杭州")):
            body = {"code": unit, "name": name} | ({"parent_id": parent} if parent else {})
            org = await self.call("POST", self.url("inventory", "/v1/orgs"), admin, (201,), json=body)
            parent = org["id"]
            self.j.group_id = self.j.group_id or parent
        self.j.org_id = parent or ""
        self.step(f"the group's units {code}/EAST/HZ are made; the project will belong to HZ")

    async def _setup_project(self) -> None:
        """An admin makes the group's units (集团 → 华东 → 杭州), creates the project in the city company and
        imports its 160 units."""
        admin, code = self.as_("admin"), f"DEMO-{uuid.uuid4().hex[:6].upper()}"
        await self._setup_group(admin, code)
        body = {
            "code": code,
            "name": "Riverside Gardens 滨江花园",
            "city": "Hangzhou",
            "settings": {"hold_minutes": 30, "protection_days": 20},
            "org_id": self.j.org_id,
        }
        project = await self.call("POST", self.url("inventory", "/v1/projects"), admin, (201,), json=body)
        self.j.project_id = str(project.get("id") or project.get("project_id"))
        units = _demo_units()
        made = await self.call(
            "POST", self.url("inventory", f"/v1/projects/{self.j.project_id}/units"), self.as_("admin"), OK, json=units
        )
        self.step(f"project {code} created; {made['created']} units imported (2 buildings × 20 floors × 4)")

    async def _walk_in(self) -> None:
        """R3, R10, R34: Zhang San walks in on Li Si's word; consultant-1 registers them, referred by Li Si."""
        consultant = self.as_("consultant")
        phone = f"139{int(time.time() * 1000) % 10**8:08d}"
        body = {
            "project_id": self.j.project_id,
            "name": "Zhang San",
            "phone": phone,
            "source": "walk_in",
            "consent_share": True,
            "grade": "A",
            "profile": {"needs": NEEDS},
            "tags": ["first_home"],
            "referred_by": self.j.referrer_id,
        }
        customer = await self.call("POST", self.url("leads", "/v1/customers"), consultant, (201,), json=body)
        self.j.customer_id = customer["id"]
        self.step(
            f"walk-in referred by Li Si, registered by consultant-1: customer {customer['id']}, protected until "
            f"{customer['protected_until']}"
        )

    async def _hold(self) -> None:
        """R19: consultant-1 holds B1-1801 for the customer (once inventory knows them) and quotes its cost."""
        consultant = self.as_("consultant")
        listing = await self.call(
            "GET",
            self.url("inventory", f"/v1/projects/{self.j.project_id}/units"),
            consultant,
            (200,),
            params={"building": "B1", "status": "available"},
        )
        self.j.unit_id = next(u for u in listing if u["number"] == "1801")["id"]
        hold = await self.hold(self.j.unit_id, self.j.customer_id, consultant, "inventory to learn of the customer")
        self.j.hold_id = hold["hold_id"]
        self.step(f"unit B1-1801 held for the customer until {hold['expires_at']} (R19)")
        quote = await self.call(
            "POST",
            self.url("inventory", f"/v1/units/{self.j.unit_id}/quote"),
            consultant,
            (200,),
            json={"first_home": True},
        )
        self.step(f"quote: total cost {quote.get('total_cost', quote)}")

    async def _deposit(self) -> None:
        """R22, R23, R26: finance takes the deposit, two people count it, and the receipt says it in words."""
        finance = self.as_("finance")
        ids = {"unit_id": self.j.unit_id, "hold_id": self.j.hold_id, "customer_id": self.j.customer_id}
        deposit = await self.eventually(
            "POST",
            self.url("payments", "/v1/deposits"),
            finance,
            (201,),
            "payments to learn of the hold",
            json=ids | DEPOSIT,
        )
        self.j.deposit_id = deposit["id"]
        self.step(f"deposit 20000.00 taken by finance-1, {deposit['status']} (R22, R23)")
        counted = self.url("payments", f"/v1/deposits/{deposit['id']}/verifications")
        await self.call("POST", counted, finance, OK)
        verified = await self.call("POST", counted, self.as_("manager"), OK)
        self.step(f"deposit counted by finance-1 and manager-1: {verified['status']}")
        receipt = await self.call("GET", self.url("payments", f"/v1/deposits/{deposit['id']}/receipt"), finance, (200,))
        self.j.receipt = receipt
        self.step(f"receipt {receipt['receipt_no']}: {receipt['amount']} = {receipt['amount_in_words']} (R26)")

    async def _sale(self) -> None:
        """R27, R28: the verified deposit opens the sale; the subscription is signed and the down payment paid."""
        manager = self.as_("manager")
        self.j.sale_id = await self._wait_for_sale(manager)
        self.step(f"unit reserved; sale {self.j.sale_id} opened")
        due = (now_utc().date() + timedelta(days=14)).isoformat()
        terms = {"buyer_signed": True, "down_payment": {"amount": "600000.00", "due_date": due}}
        await self.call(
            "POST", self.url("inventory", f"/v1/sales/{self.j.sale_id}/subscription"), manager, OK, json=terms
        )
        self.step(f"subscription countersigned by manager-1; down payment 600000.00 due {due} (R27, R28)")
        payment = {
            "kind": "down_payment",
            "amount": "600000.00",
            "method": "bank_transfer",
            "source_of_funds": "salary",
        }
        paid = await self.eventually(
            "POST",
            self.url("payments", f"/v1/sales/{self.j.sale_id}/payments"),
            self.as_("finance"),
            OK,
            "payments to learn of the subscription",
            json=payment,
        )
        self.j.payment_id = paid["id"]
        self.step(f"down payment 600000.00 received: receipt {paid['receipt_no']}, {paid['amount_in_words']} (R26)")

    async def _contract_and_mortgage(self) -> None:
        """R29, R30: the buyer signs the contract in person; the mortgage appointment is booked."""
        manager, sale = self.as_("manager"), self.j.sale_id
        signing = {"contract_no": f"HT-{sale[:8]}", "signatory": "buyer", "poa_notarized": False, "id_copy_kept": True}
        await self.call("POST", self.url("inventory", f"/v1/sales/{sale}/contract"), manager, OK, json=signing)
        self.step("contract signed by the buyer in person; ID copy kept (R29)")
        booking = {
            "at": (now_utc() + timedelta(days=10)).isoformat(),
            "place": "ICBC Hangzhou branch",
            "documents": DOCUMENTS,
        }
        await self.call(
            "POST", self.url("payments", f"/v1/sales/{sale}/mortgage-appointment"), manager, OK, json=booking
        )
        self.step("mortgage appointment booked; reminders 7, 3 and 1 days before (R30)")

    async def _wait_for_sale(self, who: Headers) -> str:
        """The sale inventory opens when it hears the deposit was verified."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            unit = await self.call("GET", self.url("inventory", f"/v1/units/{self.j.unit_id}"), who, (200,))
            if unit.get("sale_id"):
                return str(unit["sale_id"])
            await asyncio.sleep(0.2)
        raise StepFailed("inventory never opened the sale after the deposit was verified")


def _demo_units() -> list[dict[str, object]]:
    """Two buildings of twenty floors, four flats a floor."""
    return [
        {
            "building": f"B{b}",
            "number": f"{f}{u:02d}",
            "floor": f,
            "layout": "3BR",
            "area_m2": "89.50",
            "list_price": "2000000.00",
            "floor_price": "1800000.00",
        }
        for b in (1, 2)
        for f in range(1, 21)
        for u in range(1, 5)
    ]
