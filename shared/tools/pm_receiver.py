"""`estate pm-receiver`: the reference receiver a property company can start from (issue 12).

It verifies every delivery with the standardwebhooks library, prints it, answers 204 at once, and then
acknowledges a hand-off with a request signed the same way. Deliveries are deduplicated on `webhook-id`
(a retry carries the same id), so a retried hand-off is printed and acknowledged once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import orjson
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from shared.kernel.clock import now_utc

HANDOFF = "handoff"


def signed_headers(secret: str, body: bytes) -> dict[str, str]:
    """Standard Webhooks headers for a request this receiver sends back (the acknowledgement)."""
    msg_id, now = f"ack_{uuid.uuid4()}", now_utc()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, body.decode()),
        "content-type": "application/json",
    }


class PropertyReceiver:
    """Verify, print, acknowledge. `say` is print by default; tests and the demo collect the lines."""

    def __init__(self, secret: str, notifications_url: str, say: Callable[[str], None] = print) -> None:
        self.webhook, self.secret = Webhook(secret), secret
        self.notifications_url, self.say = notifications_url.rstrip("/"), say
        self.seen: set[str] = set()
        self.received: list[dict[str, Any]] = []
        self.acknowledged: list[str] = []

    async def deliver(self, request: Request) -> Response:
        body = await request.body()
        try:
            event = self.webhook.verify(body, dict(request.headers))
        except Exception as exc:
            self.say(f"refused an unsigned or wrongly signed request: {exc}")
            return JSONResponse({"error": "invalid signature"}, status_code=401)
        msg_id = request.headers["webhook-id"]
        if msg_id not in self.seen:
            self.seen.add(msg_id)
            self.received.append(event)
            self.say(f"received {event.get('type')} {msg_id}: {orjson.dumps(event.get('data')).decode()}")
            if event.get("type") == HANDOFF:
                asyncio.get_running_loop().create_task(self.acknowledge(event["data"]["handoff_id"]))
        return Response(status_code=204)

    async def acknowledge(self, handoff_id: str) -> None:
        """Tell the developer the new resident has an account here."""
        body = orjson.dumps({"resident_account_id": f"PM-{handoff_id[:8]}"})
        url = f"{self.notifications_url}/v1/handoffs/{handoff_id}/acknowledgement"
        async with httpx.AsyncClient(timeout=15) as client:
            answer = await client.post(url, content=body, headers=signed_headers(self.secret, body))
        self.say(f"acknowledged hand-off {handoff_id}: {answer.status_code}")
        if answer.status_code == 200:
            self.acknowledged.append(handoff_id)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.deliver, methods=["POST"])])
