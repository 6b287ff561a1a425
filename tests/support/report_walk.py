"""Issue 22 across the four services as processes: a group (root and region) with two projects, walked over HTTP as
the sales offices would — registrations (a walk-in, a caller, a key visitor), a visit, calls, two sales from hold to
contract and handover, and to cancellation and refund — with the figures the reports must then give. Every event
reaches leads through the real broker."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from shared.http.tokens import make_token
from shared.kernel.clock import now_utc
from shared.tools.demo.driver import OK, Driver, Urls, daytime
from tests.support.reports import deals, metrics, summed

UNIT = {"floor": 18, "layout": "3BR", "floor_price": "1000000.00"}


@dataclass
class Group:
    """What the walk made: units of the tree, projects, consultants (id → name), customers (name → id, phone)."""

    root: str = ""
    region: str = ""
    projects: dict[str, str] = field(default_factory=dict)
    consultants: dict[str, str] = field(default_factory=dict)
    customers: dict[str, dict[str, str]] = field(default_factory=dict)
    link: dict[str, str] = field(default_factory=dict)


class GroupWalk(Driver):
    """The walk, on the demo's driver (calls that must answer, calls retried until an event has arrived)."""

    def __init__(self, urls: Urls, secret: str) -> None:
        super().__init__(urls, secret, "", say=lambda _: None, timeout=90.0)
        self.g, self.tag = Group(), uuid.uuid4().hex[:6].upper()
        self.g.consultants = {f"a-{self.tag}": "王 Alice", f"b-{self.tag}": "赵 Bob"}

    def bearer(self, sub: str, role: str, code: str | None = None, orgs: tuple[str, ...] = ()) -> dict[str, str]:
        projects = [self.g.projects[code]] if code else []
        name = self.g.consultants.get(sub, sub)
        return {"Authorization": f"Bearer {make_token(self.secret, sub, role, projects, name=name, orgs=orgs)}"}

    async def tree(self) -> None:
        admin = self.bearer("admin-r", "admin")
        orgs = self.url("inventory", "/v1/orgs")
        self.g.root = (await self.call("POST", orgs, admin, (201,), json={"code": f"G{self.tag}", "name": "集团"}))[
            "id"
        ]
        body = {"code": "EAST", "name": "华东区域", "parent_id": self.g.root}
        self.g.region = (await self.call("POST", orgs, admin, (201,), json=body))["id"]
        for code, area, price in (("P1", "89.50", "2000000.00"), ("P2", "120.00", "3000000.00")):
            body = {"code": f"{code}-{self.tag}", "name": f"项目{code}", "city": "杭州", "org_id": self.g.region}
            made = await self.call("POST", self.url("inventory", "/v1/projects"), admin, (201,), json=body)
            self.g.projects[code] = str(made.get("id") or made.get("project_id"))
            unit = UNIT | {"building": "1", "number": "1801", "area_m2": area, "list_price": price}
            await self.call(
                "POST", self.url("inventory", f"/v1/projects/{self.g.projects[code]}/units"), admin, OK, json=[unit]
            )

    async def register(self, code: str, sub: str, name: str, source: str, **extra: Any) -> str:
        phone = f"137{uuid.uuid4().int % 10**8:08d}"
        body = {"project_id": self.g.projects[code], "name": name, "phone": phone, "source": source} | extra
        made = await self.call(
            "POST", self.url("leads", "/v1/customers"), self.bearer(sub, "consultant", code), (201,), json=body
        )
        self.g.customers[name] = {"id": made["id"], "phone": phone}
        return made["id"]

    async def office(self) -> None:
        """Reception: registrations, a visit, calls (R1: 10 s is within 3 rings, 20 s is not)."""
        a, b = list(self.g.consultants)
        await self.register("P1", a, "Walker Wu 吴", "walk_in")
        caller = await self.register("P1", a, "Caller Qian 钱", "phone_call")
        await self.register("P1", a, "Peer Sun 孙", "walk_in", visitor_type="competitor_peer")  # R5: not counted
        await self.register("P2", b, "Buyer Zhou 周", "walk_in")
        visit = {"channel": "visit", "content": "came to see the show flat", "next_contact_at": daytime(2)}
        await self.call(
            "POST",
            self.url("leads", f"/v1/customers/{caller}/followups"),
            self.bearer(a, "consultant", "P1"),
            (201,),
            json=visit,
        )
        rang = now_utc() - timedelta(seconds=90)
        for seconds in (10, 20):
            call = {"project_id": self.g.projects["P1"], "rang_at": rang.isoformat()}
            call["answered_at"] = (rang + timedelta(seconds=seconds)).isoformat()
            await self.call(
                "POST", self.url("leads", "/v1/calls"), self.bearer(a, "consultant", "P1"), (201,), json=call
            )

    async def sell(self, code: str, sub: str, customer: str, deposit: str, then: str) -> str:
        """A hold, a deposit counted by two, the subscription, then `then` (contract, pay, handover / cancel)."""
        unit = (
            await self.call(
                "GET",
                self.url("inventory", f"/v1/projects/{self.g.projects[code]}/units"),
                self.bearer("m", "manager", code),
                (200,),
            )
        )[0]["id"]
        cid = self.g.customers[customer]["id"]
        hold = await self.hold(unit, cid, self.bearer(sub, "consultant", code), "inventory to know the customer")
        money = {"unit_id": unit, "hold_id": hold["hold_id"], "customer_id": cid, "amount": deposit}
        money |= {"method": "bank_transfer", "source_of_funds": "savings"}
        taken = await self.eventually(
            "POST",
            self.url("payments", "/v1/deposits"),
            self.bearer("f1", "finance", code),
            (201,),
            "payments to know the hold",
            json=money,
        )
        for counter in ("f1", "f2"):
            await self.call(
                "POST",
                self.url("payments", f"/v1/deposits/{taken['id']}/verifications"),
                self.bearer(counter, "finance", code),
                OK,
            )
        manager = self.bearer("m", "manager", code)
        sale_id = await self.opened_sale(unit, manager, "the sale")
        terms = {
            "buyer_signed": True,
            "down_payment": {"amount": "600000.00", "due_date": (now_utc().date() + timedelta(days=20)).isoformat()},
        }
        await self.call("POST", self.url("inventory", f"/v1/sales/{sale_id}/subscription"), manager, OK, json=terms)
        if then == "cancel":
            await self.call(
                "POST",
                self.url("inventory", f"/v1/sales/{sale_id}/cancellation"),
                manager,
                OK,
                json={"reason": "changed plans"},
            )
            return sale_id
        signing = {
            "contract_no": f"HT-{sale_id[:8]}",
            "signatory": "buyer",
            "poa_notarized": False,
            "id_copy_kept": True,
        }
        await self.call("POST", self.url("inventory", f"/v1/sales/{sale_id}/contract"), manager, OK, json=signing)
        paid = {"kind": "down_payment", "amount": "600000.00", "method": "bank_transfer"}
        await self.eventually(
            "POST",
            self.url("payments", f"/v1/sales/{sale_id}/payments"),
            self.bearer("f1", "finance", code),
            OK,
            "payments to know the sale",
            json=paid,
        )
        await self.call(
            "POST",
            self.url("inventory", f"/v1/sales/{sale_id}/handover"),
            manager,
            OK,
            json={"handed_over_at": now_utc().isoformat()},
        )
        return sale_id

    async def walk(self) -> Group:
        await self.tree()
        await self.office()
        a, b = list(self.g.consultants)
        await self.sell("P1", a, "Walker Wu 吴", "20000.00", "contract")
        await self.sell("P2", b, "Buyer Zhou 周", "50000.00", "cancel")
        await self.http.aclose()
        return self.g


# A table, one project in two or three lines:
# fmt: off
EXPECTED = {
    "P1": metrics(new_customers=2, visits=2, calls=2, calls_within_3_rings=1, collected="620000.00", handovers=1,
                  holds=deals(1, "89.50", "2000000.00"), subscriptions=deals(1, "89.50", "2000000.00"),
                  contracts=deals(1, "89.50", "2000000.00")),
    "P2": metrics(new_customers=1, visits=1, cancellations=1, collected="50000.00", refunded="50000.00",
                  holds=deals(1, "120.00", "3000000.00"), subscriptions=deals(1, "120.00", "3000000.00")),
}
# fmt: on
EXPECTED_TOTAL = summed(*EXPECTED.values())  # the region is its two projects
