"""The journey's end as a property company sees it (issue 12): its webhook registered and served by the
reference receiver, the hand-off event on the broker, and the signed delivery acknowledged back to leads."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import uvicorn
from aiokafka import AIOKafkaConsumer

from shared.kernel.clock import now_utc
from shared.messaging.topics import PROPERTY_HANDOFF
from shared.tools.demo.driver import OK, Driver, StepFailed
from shared.tools.embedded import free_port
from shared.tools.pm_receiver import PropertyReceiver


class HandoffSteps(Driver):
    """The property company's side of the journey; `Demo` runs them around and after the sale's own."""

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

    async def _handoff(self) -> None:
        """R32: keys handed over; the hand-off event is read from the broker as the property company would."""
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
        """The journey's hand-off event on the topic (others' may be there too), before the deadline."""
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
        ours = self.j.handoff["data"]["handoff_id"]  # the referrer's flat was handed over too: theirs is not ours
        deadline = time.monotonic() + self.timeout
        while ours not in receiver.acknowledged and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        if ours not in receiver.acknowledged:
            raise StepFailed("the property company's receiver never acknowledged the hand-off")
        received = [e for e in receiver.received if e.get("data", {}).get("handoff_id") == ours]
        self.j.webhook |= {"received": received, "acknowledged": [ours]}
        self.step(f"signed webhook delivered and verified; the property company acknowledged {ours}")
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
    """Whether a customer's timeline shows the property company's acknowledgement."""
    return any(e["kind"] == "handoff_acknowledged" for e in (timeline or {}).get("timeline", []))
