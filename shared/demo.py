"""`estate demo`: one customer walked through the whole journey over HTTP, step by step.

The same driver runs in the end-to-end test. Services are eventually consistent with each other
(a hold needs inventory's read model of the customer, a deposit needs payments' read model of the
hold), so a step that depends on another service's event is retried until that event arrives.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, AsyncIterator, Callable

import httpx
import orjson
import uvicorn
from aiokafka import AIOKafkaConsumer

from shared.catalogue import PROPERTY_HANDOFF
from shared.embedded import free_port
from shared.pm_receiver import PropertyReceiver

Printer = Callable[[str], None]


@dataclass
class Urls:
    leads: str = "http://127.0.0.1:8001"
    inventory: str = "http://127.0.0.1:8002"
    payments: str = "http://127.0.0.1:8003"
    notifications: str = "http://127.0.0.1:8004"


@dataclass
class Journey:
    """What the demo created, for the caller to inspect."""

    project_id: str = ""
    unit_id: str = ""
    customer_id: str = ""
    hold_id: str = ""
    deposit_id: str = ""
    sale_id: str = ""
    receipt: dict[str, Any] = field(default_factory=dict)
    handoff: dict[str, Any] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)  # what the property company's receiver got and said
    steps: list[str] = field(default_factory=list)


class StepFailed(RuntimeError):
    """A step answered something other than what the journey needs."""


class Demo:
    def __init__(self, urls: Urls, secret: str, kafka: str, say: Printer = print, timeout: float = 60.0) -> None:
        self.urls, self.secret, self.kafka, self.say, self.timeout = urls, secret, kafka, say, timeout
        self.http = httpx.AsyncClient(timeout=15.0)
        self.j = Journey()

    def token(self, sub: str, role: str, name: str) -> dict[str, str]:
        from shared.auth_tokens import make_token

        projects = [self.j.project_id] if self.j.project_id else []
        return {"Authorization": f"Bearer {make_token(self.secret, sub, role, projects, name=name)}"}

    async def call(self, method: str, url: str, who: dict[str, str], expect: tuple[int, ...], **kw: Any) -> Any:
        response = await self.http.request(method, url, headers={**who, "Idempotency-Key": str(uuid.uuid4())}, **kw)
        if response.status_code not in expect:
            raise StepFailed(f"{method} {url} → {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    async def eventually(self, method: str, url: str, who: dict[str, str], expect: tuple[int, ...],
                         waiting_for: str, check: Callable[[Any], bool] = lambda _: True, **kw: Any) -> Any:
        """Retry a call that depends on another service's event until it succeeds or the deadline passes."""
        deadline = time.monotonic() + self.timeout
        while True:
            response = await self.http.request(method, url, headers={**who, "Idempotency-Key": str(uuid.uuid4())}, **kw)
            if response.status_code in expect and check(response.json() if response.content else None):
                return response.json() if response.content else None
            if time.monotonic() > deadline:
                raise StepFailed(f"gave up waiting for {waiting_for}: {response.status_code} {response.text[:300]}")
            await asyncio.sleep(0.2)

    def step(self, text: str) -> None:
        self.j.steps.append(text)
        self.say(f"[{len(self.j.steps):>2}] {text}")

    async def run(self) -> Journey:
        try:
            await self._setup_project()
            async with self._property_company() as receiver:
                await self._customer_and_hold()
                await self._deposit()
                await self._sale()
                await self._handoff()
                await self._acknowledged(receiver)
            return self.j
        finally:
            await self.http.aclose()

    @asynccontextmanager
    async def _property_company(self) -> AsyncIterator[PropertyReceiver]:
        """A property company registers a webhook (issue 12) served by the reference receiver, started here."""
        port = free_port()
        hook = await self.call("POST", f"{self.urls.notifications}/v1/webhooks",
                               self.token("manager-1", "manager", "Chen Jie"), (201,), json={
                                   "project_id": self.j.project_id, "url": f"http://127.0.0.1:{port}/estate",
                                   "events": [PROPERTY_HANDOFF.name], "description": "Greenwood Property Services"})
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

    async def _acknowledged(self, receiver: PropertyReceiver) -> None:
        """The signed delivery reaches the receiver, which acknowledges; leads' timeline shows it."""
        deadline = time.monotonic() + self.timeout
        while not receiver.acknowledged and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        if not receiver.acknowledged:
            raise StepFailed("the property company's receiver never acknowledged the hand-off")
        self.j.webhook |= {"received": receiver.received, "acknowledged": receiver.acknowledged}
        self.step(f"signed webhook delivered and verified; the property company acknowledged {receiver.acknowledged[0]}")
        manager = self.token("manager-1", "manager", "Chen Jie")
        await self.eventually("GET", f"{self.urls.leads}/v1/customers/{self.j.customer_id}/timeline", manager, (200,),
                              "the acknowledgement on the timeline", check=_has_acknowledgement)
        self.step("the customer's timeline shows the hand-off acknowledged by the property company")

    async def _setup_project(self) -> None:
        admin = self.token("admin-1", "admin", "Admin")
        code = f"DEMO-{uuid.uuid4().hex[:6].upper()}"
        body = {"code": code, "name": "Riverside Gardens 滨江花园", "city": "Hangzhou",
                "settings": {"hold_minutes": 30, "protection_days": 20}}
        project = await self.call("POST", f"{self.urls.inventory}/v1/projects", admin, (201,), json=body)
        self.j.project_id = str(project.get("id") or project.get("project_id"))
        units = [{"building": f"B{b}", "number": f"{f}{u:02d}", "floor": f, "layout": "3BR", "area_m2": "89.50",
                  "list_price": "2000000.00", "floor_price": "1800000.00"}
                 for b in (1, 2) for f in range(1, 21) for u in range(1, 5)]
        made = await self.call("POST", f"{self.urls.inventory}/v1/projects/{self.j.project_id}/units", admin, (201, 200),
                               json=units)
        self.step(f"project {code} created; {made['created']} units imported (2 buildings × 20 floors × 4)")

    async def _customer_and_hold(self) -> None:
        consultant = self.token("consultant-1", "consultant", "Wang Fang")
        phone = f"139{int(time.time() * 1000) % 10**8:08d}"
        customer = await self.call("POST", f"{self.urls.leads}/v1/customers", consultant, (201,), json={
            "project_id": self.j.project_id, "name": "Zhang San", "phone": phone, "source": "walk_in",
            "consent_share": True, "grade": "A"})
        self.j.customer_id = customer["id"]
        self.step(f"walk-in registered by consultant-1: customer {customer['id']}, protected until "
                  f"{customer['protected_until']}")
        listing = await self.call("GET", f"{self.urls.inventory}/v1/projects/{self.j.project_id}/units",
                                  consultant, (200,), params={"building": "B1", "status": "available"})
        unit = next(u for u in listing if u["number"] == "1801")
        self.j.unit_id = unit["id"]
        hold = await self.eventually("POST", f"{self.urls.inventory}/v1/units/{unit['id']}/holds", consultant, (201,),
                                     "inventory to learn of the customer", json={"customer_id": self.j.customer_id})
        self.j.hold_id = hold["hold_id"]
        self.step(f"unit B1-1801 held for the customer until {hold['expires_at']} (R19)")
        quote = await self.call("POST", f"{self.urls.inventory}/v1/units/{unit['id']}/quote", consultant, (200,),
                                json={"first_home": True})
        self.step(f"quote: total cost {quote.get('total_cost', quote)}")

    async def _deposit(self) -> None:
        finance, manager = self.token("finance-1", "finance", "Li Na"), self.token("manager-1", "manager", "Chen Jie")
        deposit = await self.eventually("POST", f"{self.urls.payments}/v1/deposits", finance, (201,),
                                        "payments to learn of the hold", json={
                                            "unit_id": self.j.unit_id, "hold_id": self.j.hold_id,
                                            "customer_id": self.j.customer_id, "amount": "20000.00",
                                            "method": "bank_transfer", "source_of_funds": "own savings",
                                            "reference": "TRX-001"})
        self.j.deposit_id = deposit["id"]
        self.step(f"deposit 20000.00 taken by finance-1, {deposit['status']} (R22, R23)")
        await self.call("POST", f"{self.urls.payments}/v1/deposits/{deposit['id']}/verifications", finance, (200, 201))
        verified = await self.call("POST", f"{self.urls.payments}/v1/deposits/{deposit['id']}/verifications", manager,
                                   (200, 201))
        self.step(f"deposit counted by finance-1 and manager-1: {verified['status']}")
        self.j.receipt = await self.call("GET", f"{self.urls.payments}/v1/deposits/{deposit['id']}/receipt", finance,
                                         (200,))
        self.step(f"receipt {self.j.receipt['receipt_no']}: {self.j.receipt['amount']} = "
                  f"{self.j.receipt['amount_in_words']} (R26)")

    async def _sale(self) -> None:
        manager, finance = self.token("manager-1", "manager", "Chen Jie"), self.token("finance-1", "finance", "Li Na")
        self.j.sale_id = await self._wait_for_sale(manager)
        self.step(f"unit reserved; sale {self.j.sale_id} opened")
        due = (date.today() + timedelta(days=14)).isoformat()
        await self.call("POST", f"{self.urls.inventory}/v1/sales/{self.j.sale_id}/subscription", manager, (200, 201),
                        json={"buyer_signed": True, "down_payment": {"amount": "600000.00", "due_date": due}})
        self.step(f"subscription countersigned by manager-1; down payment 600000.00 due {due} (R27, R28)")
        await self.eventually("POST", f"{self.urls.payments}/v1/sales/{self.j.sale_id}/payments", finance, (200, 201),
                              "payments to learn of the subscription",
                              json={"kind": "down_payment", "amount": "600000.00", "method": "bank_transfer"})
        self.step("down payment 600000.00 received")
        await self.call("POST", f"{self.urls.inventory}/v1/sales/{self.j.sale_id}/contract", manager, (200, 201), json={
            "contract_no": f"HT-{self.j.sale_id[:8]}", "signatory": "buyer", "poa_notarized": False,
            "id_copy_kept": True})
        self.step("contract signed by the buyer in person; ID copy kept (R29)")
        at = (datetime.now(timezone.utc) + timedelta(days=10)).isoformat()
        await self.call("POST", f"{self.urls.payments}/v1/sales/{self.j.sale_id}/mortgage-appointment", manager,
                        (200, 201), json={"at": at, "place": "ICBC Hangzhou branch",
                                          "documents": ["ID card", "income proof", "contract"]})
        self.step("mortgage appointment booked; reminders 7, 3 and 1 days before (R30)")

    async def _wait_for_sale(self, who: dict[str, str]) -> str:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            unit = await self.call("GET", f"{self.urls.inventory}/v1/units/{self.j.unit_id}", who, (200,))
            if unit.get("sale_id"):
                return str(unit["sale_id"])
            await asyncio.sleep(0.2)
        raise StepFailed("inventory never opened the sale after the deposit was verified")

    async def _handoff(self) -> None:
        service = self.token("service-1", "service", "Customer Service")
        consumer = AIOKafkaConsumer(PROPERTY_HANDOFF.name, bootstrap_servers=self.kafka, auto_offset_reset="earliest",
                                    enable_auto_commit=False, group_id=None)
        await consumer.start()
        try:
            await self.call("POST", f"{self.urls.inventory}/v1/sales/{self.j.sale_id}/handover", service, (200, 201),
                            json={"handed_over_at": datetime.now(timezone.utc).isoformat()})
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
                        return event
        raise StepFailed("no hand-off event reached the property company")


def _has_acknowledgement(timeline: Any) -> bool:
    return any(e["kind"] == "handoff_acknowledged" for e in (timeline or {}).get("timeline", []))


async def run_demo(urls: Urls, secret: str, kafka: str, say: Printer = print) -> Journey:
    """Walk one customer through the journey against running services."""
    return await Demo(urls, secret, kafka, say).run()
