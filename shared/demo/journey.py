"""The journey the demo walks: project and units, a walk-in, a hold, the deposit counted twice, the sale from
subscription to mortgage appointment, the handover, and the property company's signed acknowledgement."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import orjson
import uvicorn
from aiokafka import AIOKafkaConsumer

from shared.catalogue import PROPERTY_HANDOFF
from shared.clock import now_utc
from shared.demo.driver import Driver, Headers, Journey, StepFailed, daytime
from shared.embedded import free_port
from shared.pm_receiver import PropertyReceiver

OK = (200, 201)
DEPOSIT = {"amount": "20000.00", "method": "bank_transfer", "source_of_funds": "own savings", "reference": "TRX-001"}
DOCUMENTS = ["ID card", "income proof", "contract"]


class Demo(Driver):
    async def run(self) -> Journey:
        try:
            await self._setup_project()
            async with self._property_company() as receiver:
                await self._walk_in()
                await self._claim_decided()
                await self._callback()
                await self._hold()
                await self._deposit()
                await self._sale()
                await self._contract_and_mortgage()
                await self._handoff()
                await self._acknowledged(receiver)
            return self.j
        finally:
            await self.http.aclose()

    async def _setup_project(self) -> None:
        admin, code = self.as_("admin"), f"DEMO-{uuid.uuid4().hex[:6].upper()}"
        body = {
            "code": code,
            "name": "Riverside Gardens 滨江花园",
            "city": "Hangzhou",
            "settings": {"hold_minutes": 30, "protection_days": 20},
        }
        project = await self.call("POST", self.url("inventory", "/v1/projects"), admin, (201,), json=body)
        self.j.project_id = str(project.get("id") or project.get("project_id"))
        units = [
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
        made = await self.call(
            "POST", self.url("inventory", f"/v1/projects/{self.j.project_id}/units"), self.as_("admin"), OK, json=units
        )
        self.step(f"project {code} created; {made['created']} units imported (2 buildings × 20 floors × 4)")

    @asynccontextmanager
    async def _property_company(self) -> AsyncIterator[PropertyReceiver]:
        """A property company registers a webhook (issue 12) served by the reference receiver, started here."""
        port = free_port()
        body = {
            "project_id": self.j.project_id,
            "url": f"http://127.0.0.1:{port}/estate",
            "events": [PROPERTY_HANDOFF.name],
            "description": "Greenwood Property Services",
        }
        hook = await self.call(
            "POST", self.url("notifications", "/v1/webhooks"), self.as_("manager"), (201,), json=body
        )
        receiver = PropertyReceiver(hook["secret"], self.urls.notifications, say=lambda _: None)
        self.j.webhook = {"endpoint_id": hook["id"], "secret": hook["secret"]}
        server = uvicorn.Server(uvicorn.Config(receiver.app(), host="127.0.0.1", port=port, log_config=None))
        task = asyncio.ensure_future(server.serve())
        self.step(f"property company's webhook {hook['id']} registered for {PROPERTY_HANDOFF.name} (secret shown once)")
        try:
            yield receiver
        finally:
            server.should_exit = True
            await asyncio.wait_for(task, 10)

    async def _walk_in(self) -> None:
        consultant = self.as_("consultant")
        phone = f"139{int(time.time() * 1000) % 10**8:08d}"
        body = {
            "project_id": self.j.project_id,
            "name": "Zhang San",
            "phone": phone,
            "source": "walk_in",
            "consent_share": True,
            "grade": "A",
        }
        customer = await self.call("POST", self.url("leads", "/v1/customers"), consultant, (201,), json=body)
        self.j.customer_id = customer["id"]
        self.step(
            f"walk-in registered by consultant-1: customer {customer['id']}, protected until "
            f"{customer['protected_until']}"
        )

    async def _claim_decided(self) -> None:
        """R9: a colleague says the customer is theirs; the manager looks at both sides and decides."""
        claim = {"reason": "met Zhang San at the launch event last week"}
        filed = await self.call(
            "POST",
            self.url("leads", f"/v1/customers/{self.j.customer_id}/claims"),
            self.as_("colleague"),
            (201,),
            json=claim,
        )
        self.j.claim_id = filed["id"]
        self.step(f"consultant-2 claims the customer (R9): claim {filed['id']}")
        decision = {"winner_id": "consultant-1", "reason": "registered and followed up first (R4, R10)"}
        decided = await self.call(
            "POST", self.url("leads", f"/v1/claims/{filed['id']}/decision"), self.as_("manager"), OK, json=decision
        )
        self.step(f"manager-1 decides for {decided['winner_id']}: the customer stays with the first consultant")

    async def _callback(self) -> None:
        """R7: the customer is busy; the consultant plans a call-back at the time they named, then makes it."""
        consultant, plan = self.as_("consultant"), {"due_at": daytime(1), "purpose": "send the B1 floor plans"}
        planned = await self.call(
            "POST", self.url("leads", f"/v1/customers/{self.j.customer_id}/callbacks"), consultant, (201,), json=plan
        )
        self.j.callback_id = planned["id"]
        self.step(f"call-back planned for {planned['due_at']} (R7); notifications will remind consultant-1")
        outcome = {"outcome": "sent the floor plans; they will visit on Saturday", "next_contact_at": daytime(3)}
        await self.call("POST", self.url("leads", f"/v1/callbacks/{planned['id']}/done"), consultant, OK, json=outcome)
        self.step("call-back done: recorded as a follow-up with the next contact (R14)")

    async def _hold(self) -> None:
        consultant = self.as_("consultant")
        listing = await self.call(
            "GET",
            self.url("inventory", f"/v1/projects/{self.j.project_id}/units"),
            consultant,
            (200,),
            params={"building": "B1", "status": "available"},
        )
        self.j.unit_id = next(u for u in listing if u["number"] == "1801")["id"]
        hold = await self.eventually(
            "POST",
            self.url("inventory", f"/v1/units/{self.j.unit_id}/holds"),
            consultant,
            (201,),
            "inventory to learn of the customer",
            json={"customer_id": self.j.customer_id},
        )
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
        manager = self.as_("manager")
        self.j.sale_id = await self._wait_for_sale(manager)
        self.step(f"unit reserved; sale {self.j.sale_id} opened")
        due = (now_utc().date() + timedelta(days=14)).isoformat()
        terms = {"buyer_signed": True, "down_payment": {"amount": "600000.00", "due_date": due}}
        await self.call(
            "POST", self.url("inventory", f"/v1/sales/{self.j.sale_id}/subscription"), manager, OK, json=terms
        )
        self.step(f"subscription countersigned by manager-1; down payment 600000.00 due {due} (R27, R28)")
        payment = {"kind": "down_payment", "amount": "600000.00", "method": "bank_transfer"}
        await self.eventually(
            "POST",
            self.url("payments", f"/v1/sales/{self.j.sale_id}/payments"),
            self.as_("finance"),
            OK,
            "payments to learn of the subscription",
            json=payment,
        )
        self.step("down payment 600000.00 received")

    async def _contract_and_mortgage(self) -> None:
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
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            unit = await self.call("GET", self.url("inventory", f"/v1/units/{self.j.unit_id}"), who, (200,))
            if unit.get("sale_id"):
                return str(unit["sale_id"])
            await asyncio.sleep(0.2)
        raise StepFailed("inventory never opened the sale after the deposit was verified")

    async def _handoff(self) -> None:
        consumer = AIOKafkaConsumer(
            PROPERTY_HANDOFF.name,
            bootstrap_servers=self.kafka,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
        )
        await consumer.start()
        try:
            await self.call(
                "POST",
                self.url("inventory", f"/v1/sales/{self.j.sale_id}/handover"),
                self.as_("service"),
                OK,
                json={"handed_over_at": now_utc().isoformat()},
            )
            self.step("keys handed over; congratulations sent (R32)")
            self.j.handoff = await self._read_handoff(consumer)
        finally:
            await consumer.stop()
        self.step(f"property company received {PROPERTY_HANDOFF.name}: {orjson.dumps(self.j.handoff['data']).decode()}")

    async def _read_handoff(self, consumer: AIOKafkaConsumer) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    event = orjson.loads(record.value)
                    if event.get("data", {}).get("unit_id") == self.j.unit_id:
                        return dict(event)
        raise StepFailed("no hand-off event reached the property company")

    async def _acknowledged(self, receiver: PropertyReceiver) -> None:
        """The signed delivery reaches the receiver, which acknowledges; leads' timeline shows it."""
        deadline = time.monotonic() + self.timeout
        while not receiver.acknowledged and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        if not receiver.acknowledged:
            raise StepFailed("the property company's receiver never acknowledged the hand-off")
        self.j.webhook |= {"received": receiver.received, "acknowledged": receiver.acknowledged}
        self.step(
            f"signed webhook delivered and verified; the property company acknowledged {receiver.acknowledged[0]}"
        )
        await self.eventually(
            "GET",
            self.url("leads", f"/v1/customers/{self.j.customer_id}/timeline"),
            self.as_("manager"),
            (200,),
            "the acknowledgement on the timeline",
            check=_has_acknowledgement,
        )
        self.step("the customer's timeline shows the hand-off acknowledged by the property company")


def _has_acknowledgement(timeline: Any) -> bool:
    return any(e["kind"] == "handoff_acknowledged" for e in (timeline or {}).get("timeline", []))
