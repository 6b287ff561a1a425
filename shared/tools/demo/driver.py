"""The demo's HTTP driver: staff tokens, calls that must answer as expected, calls retried until another
service's event has arrived, and the numbered steps it prints."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from shared.kernel.clock import now_utc

Printer = Callable[[str], None]
Headers = dict[str, str]
OK = (200, 201)  # a command that may answer either: it created something (201) or changed it (200)


@dataclass
class Urls:
    """Where each service answers (`estate demo` builds them from the ports; the tests from their processes)."""

    leads: str
    inventory: str
    payments: str
    notifications: str


@dataclass
class Journey:
    """What the demo created, for the caller to inspect."""

    project_id: str = ""
    org_id: str = ""  # the project's org unit (the city company)
    group_id: str = ""  # the root unit of its group
    unit_id: str = ""
    customer_id: str = ""
    referrer_id: str = ""  # the customer of the project who referred the buyer (R34)
    hold_id: str = ""
    deposit_id: str = ""
    payment_id: str = ""  # the down payment (its receipt: GET /v1/payments/{id}/receipt)
    sale_id: str = ""
    claim_id: str = ""
    callback_id: str = ""
    receipt: dict[str, Any] = field(default_factory=dict)
    referral: dict[str, Any] = field(default_factory=dict)  # the buyer's referral as leads lists it, once rewarded
    weekly: dict[str, Any] = field(default_factory=dict)  # the manager's weekly review of this week (R2, R17)
    weekly_csv: str = ""  # the same review as CSV
    handoff: dict[str, Any] = field(default_factory=dict)
    webhook: dict[str, Any] = field(default_factory=dict)  # what the property company's receiver got and said
    steps: list[str] = field(default_factory=list)


class StepFailed(RuntimeError):
    """A step answered something other than what the journey needs."""


# the demo's staff: (id, role, name)
STAFF = {
    "admin": ("admin-1", "admin", "Admin"),
    "consultant": ("consultant-1", "consultant", "Wang Fang"),
    "colleague": ("consultant-2", "consultant", "Zhao Lei"),
    "finance": ("finance-1", "finance", "Li Na"),
    "manager": ("manager-1", "manager", "Chen Jie"),
    "service": ("service-1", "service", "Customer Service"),
}


class Driver:
    """Calls as the demo's staff, and the numbered steps; the journey's modules add the steps themselves."""

    def __init__(self, urls: Urls, secret: str, kafka: str, say: Printer = print, timeout: float = 60.0) -> None:
        """`timeout` bounds every wait for another service's event; `say` prints the steps."""
        self.urls, self.secret, self.kafka, self.say, self.timeout = urls, secret, kafka, say, timeout
        self.http = httpx.AsyncClient(timeout=15.0)
        self.j = Journey()

    def token(self, sub: str, role: str, name: str) -> Headers:
        """A bearer token for one person, scoped to the journey's project once there is one."""
        from shared.http.tokens import make_token

        projects = [self.j.project_id] if self.j.project_id else []
        return {"Authorization": f"Bearer {make_token(self.secret, sub, role, projects, name=name)}"}

    def as_(self, who: str) -> Headers:
        """The headers of one of the demo's staff (see STAFF), for the journey's project."""
        return self.token(*STAFF[who])

    def url(self, service: str, path: str) -> str:
        """A path on one of the four services."""
        return f"{getattr(self.urls, service)}{path}"

    async def call(self, method: str, url: str, who: Headers, expect: tuple[int, ...], **kw: Any) -> Any:
        """One call that must answer one of `expect`; its JSON body (None when empty)."""
        response = await self._answered(method, url, who, expect, **kw)
        return response.json() if response.content else None

    async def text(self, url: str, who: Headers, accept: str) -> str:
        """A GET that must answer 200 in another media type than JSON (a CSV export); its body as text."""
        return (await self._answered("GET", url, who | {"Accept": accept}, (200,))).text

    async def _answered(
        self, method: str, url: str, who: Headers, expect: tuple[int, ...], **kw: Any
    ) -> httpx.Response:
        """The response of one call, or StepFailed when its status is not one of `expect`."""
        response = await self._send(method, url, who, **kw)
        if response.status_code not in expect:
            raise StepFailed(f"{method} {url} → {response.status_code} {response.text[:300]}")
        return response

    async def eventually(
        self,
        method: str,
        url: str,
        who: Headers,
        expect: tuple[int, ...],
        waiting_for: str,
        check: Callable[[Any], bool] = lambda _: True,
        **kw: Any,
    ) -> Any:
        """Retry a call that depends on another service's event until it succeeds or the deadline passes."""
        deadline = time.monotonic() + self.timeout
        while True:
            response = await self._send(method, url, who, **kw)
            body = response.json() if response.content else None
            if response.status_code in expect and check(body):
                return body
            if time.monotonic() > deadline:
                raise StepFailed(f"gave up waiting for {waiting_for}: {response.status_code} {response.text[:300]}")
            await asyncio.sleep(0.2)

    async def hold(self, unit_id: str, customer_id: str, who: Headers, waiting_for: str) -> Any:
        """A hold on the unit for the customer, once inventory has heard of the customer (`waiting_for` says so)."""
        url = self.url("inventory", f"/v1/units/{unit_id}/holds")
        return await self.eventually("POST", url, who, (201,), waiting_for, json={"customer_id": customer_id})

    async def opened_sale(self, unit_id: str, who: Headers, waiting_for: str) -> str:
        """The sale inventory opens on the unit once its deposit is counted twice: its id."""
        url, opened = self.url("inventory", f"/v1/units/{unit_id}"), lambda u: bool((u or {}).get("sale_id"))
        return str((await self.eventually("GET", url, who, (200,), waiting_for, check=opened))["sale_id"])

    async def _send(self, method: str, url: str, who: Headers, **kw: Any) -> httpx.Response:
        """One request as `who`, with a fresh idempotency key: a retried call must be judged anew, not replayed."""
        return await self.http.request(method, url, headers={**who, "Idempotency-Key": str(uuid.uuid4())}, **kw)

    def step(self, text: str) -> None:
        """Record and print one numbered step."""
        self.j.steps.append(text)
        self.say(f"[{len(self.j.steps):>2}] {text}")


def daytime(days: int, zone: str = "Asia/Shanghai") -> str:
    """`days` from now at 10:00 in the project's zone: a time no quiet hours cover (R15), whatever the hour."""
    local = now_utc().astimezone(ZoneInfo(zone)) + timedelta(days=days)
    return local.replace(hour=10, minute=0, second=0, microsecond=0).isoformat()


def this_week(zone: str = "Asia/Shanghai") -> str:
    """The ISO week (YYYY-Www) it is now in the project's zone: the week leads' weekly review counts."""
    year, week, _ = now_utc().astimezone(ZoneInfo(zone)).isocalendar()
    return f"{year}-W{week:02d}"
