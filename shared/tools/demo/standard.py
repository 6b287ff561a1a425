"""The steps of the sales-office standard the demo shows beside the sale: an owner's referral noted at registration
and rewarded at the contract (R34, 老带新), a claim decided (R9), a call-back (R7) and the manager's weekly review
(R2, R13, R17)."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from shared.kernel.clock import now_utc
from shared.tools.demo.driver import OK, STAFF, Driver, daytime, this_week

# the figures of a weekly review row the summary prints, and how it names them
_ROW = (
    ("new_customers", "new"),
    ("followups", "follow-ups"),
    ("overdue", "overdue"),
    ("calls", "calls"),
    ("holds", "holds"),
    ("deposits", "deposits"),
    ("subscriptions", "subscriptions"),
    ("contracts", "contracts"),
)
OWNERS_DEPOSIT = {"amount": "20000.00", "method": "bank_transfer", "source_of_funds": "own savings"}
_SALE = ("holds", "deposits", "subscriptions", "contracts")  # what the buyer's sale adds to its consultant's row
CSV_LINES = 3  # the CSV export's header and first rows, as printed


class StandardSteps(Driver):
    """The standard's steps; `Demo` runs them in between the sale's own."""

    async def _referrer(self) -> None:
        """R34: an owner of the project (consultant-2's customer, their flat handed over) who is about to bring a
        friend: the buyer. Only an owner's referral is rewarded."""
        phone = f"138{int(time.time() * 1000) % 10**8:08d}"  # 138, not the buyer's 139: one customer per phone
        body = {"project_id": self.j.project_id, "name": "Li Si", "phone": phone, "source": "walk_in"}
        owner = await self.call("POST", self.url("leads", "/v1/customers"), self.as_("colleague"), (201,), json=body)
        self.j.referrer_id = owner["id"]
        self.step(f"Li Si, an earlier customer of the project, registered by consultant-2: customer {owner['id']}")
        await self._bought_and_handed_over(owner["id"])

    async def _bought_and_handed_over(self, customer_id: str) -> None:
        """Li Si's flat, B1-2004: held, its deposit counted twice, subscribed, contracted and handed over; leads
        hears of the handover (the return visit it opens) before anyone is referred."""
        units = self.url("inventory", f"/v1/projects/{self.j.project_id}/units")
        listing = await self.call("GET", units, self.as_("colleague"), (200,), params={"building": "B1", "limit": 500})
        unit_id = next(u["id"] for u in listing if u["number"] == "2004")
        hold = await self.hold(unit_id, customer_id, self.as_("colleague"), "inventory to learn of Li Si")
        sale = await self._counted_deposit({"unit_id": unit_id, "hold_id": hold["hold_id"], "customer_id": customer_id})
        await self._signed_and_handed_over(sale)
        await self.eventually(
            "GET",
            self.url("leads", "/v1/aftersales/visits"),
            self.as_("manager"),
            (200,),
            "leads to hear of Li Si's handover",
            check=lambda visits: any(v["customer_id"] == customer_id for v in visits or []),
            params={"project_id": self.j.project_id},
        )
        self.step("Li Si bought B1-2004 and was handed the keys: an owner of the project (R34: owners refer)")

    async def _counted_deposit(self, ids: dict[str, str]) -> str:
        """A deposit taken on the hold and counted by two people; the sale inventory opens for it."""
        deposit = await self.eventually(
            "POST",
            self.url("payments", "/v1/deposits"),
            self.as_("finance"),
            (201,),
            "payments to learn of the hold",
            json=ids | OWNERS_DEPOSIT,
        )
        counted = self.url("payments", f"/v1/deposits/{deposit['id']}/verifications")
        await self.call("POST", counted, self.as_("finance"), OK)
        await self.call("POST", counted, self.as_("manager"), OK)
        return await self.opened_sale(ids["unit_id"], self.as_("manager"), "inventory to open the sale")

    async def _signed_and_handed_over(self, sale: str) -> None:
        manager, due = self.as_("manager"), (now_utc().date() + timedelta(days=14)).isoformat()
        terms = {"buyer_signed": True, "down_payment": {"amount": "600000.00", "due_date": due}}
        await self.call("POST", self.url("inventory", f"/v1/sales/{sale}/subscription"), manager, OK, json=terms)
        signing = {"contract_no": f"HT-{sale[:8]}", "signatory": "buyer", "poa_notarized": False, "id_copy_kept": True}
        await self.call("POST", self.url("inventory", f"/v1/sales/{sale}/contract"), manager, OK, json=signing)
        handover = {"handed_over_at": now_utc().isoformat()}
        await self.call("POST", self.url("inventory", f"/v1/sales/{sale}/handover"), manager, OK, json=handover)

    async def _referral_noted(self) -> None:
        """R34: leads linked the buyer to Li Si when the buyer was registered; nothing is rewarded yet."""
        referral = await self._buyers_referral("registered")
        status = referral["status"]
        self.step(f"referral noted (R34, 老带新): Li Si referred Zhang San; {status}, rewarded when Zhang San signs")

    async def _referral_rewarded(self) -> None:
        """R34: once leads hears of the signed contract, both sides are rewarded, once."""
        self.j.referral = referral = await self._buyers_referral("rewarded")
        status, at, reward = referral["status"], referral["rewarded_at"], referral["reward"]
        self.step(
            f"leads heard of Zhang San's contract: referral {status} at {at}; "
            f"Li Si and Zhang San each get {reward!r} (the project's referral_reward)"
        )

    async def _buyers_referral(self, status: str) -> dict[str, Any]:
        """The buyer's referral in the manager's list, once it has `status` (a reward waits for contract-signed)."""
        rows = await self.eventually(
            "GET",
            self.url("leads", f"/v1/projects/{self.j.project_id}/referrals"),
            self.as_("manager"),
            (200,),
            f"the buyer's referral to be {status}",
            check=lambda rows: _of(rows, self.j.customer_id, status) is not None,
        )
        return _of(rows, self.j.customer_id, status) or {}

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

    async def _weekly_review(self) -> None:
        """R2, R13, R17: the manager's review of this week, per consultant and for the project, then as CSV."""
        week, manager = this_week(), self.as_("manager")
        url = self.url("leads", f"/v1/projects/{self.j.project_id}/reports/weekly?week={week}")
        # leads counts the sale from the other services' events: wait until all of it is in consultant-1's row
        review = await self.eventually("GET", url, manager, (200,), "the sale in the weekly review", check=_has_sale)
        self.j.weekly = review
        self.step(f"manager-1's weekly review {week} ({review['timezone']}), per consultant and for the project:")
        for row in review["by_consultant"]:
            self.say(f"     {_row(row)}")
        self.say(f"     project: {_project(review['project'])}")
        self.j.weekly_csv = await self.text(url, manager, "text/csv")
        self.step("the same review as CSV (Accept: text/csv), one row per consultant; its first lines:")
        for line in self.j.weekly_csv.splitlines()[:CSV_LINES]:
            self.say(f"     {line}")


def _of(rows: Any, customer_id: str, status: str) -> dict[str, Any] | None:
    """The referral of `customer_id` in a page of referrals, if it has `status`."""
    found = [r for r in rows or [] if r["customer_id"] == customer_id and r["status"] == status]
    return found[0] if found else None


def _has_sale(review: Any) -> bool:
    """Whether the buyer's consultant's row counts the hold, deposit, subscription and contract."""
    consultant = STAFF["consultant"][0]
    rows = [r for r in (review or {}).get("by_consultant", []) if r["consultant_id"] == consultant]
    return bool(rows) and all(rows[0][name] for name in _SALE)


def _row(row: dict[str, Any]) -> str:
    """One consultant's week on one line: the counts, the share answered within 3 rings (R1), losses."""
    counts = ", ".join(f"{label} {row[name]}" for name, label in _ROW)
    rate = row["within_3_rings_rate"]
    rings = f" ({rate:.0%} within 3 rings)" if rate is not None else ""
    lost = ", ".join(f"{reason} {n}" for reason, n in sorted(row["lost_by_reason"].items())) or "none"
    return f"{row['consultant_id']}: {counts}{rings}; lost: {lost}"


def _project(project: dict[str, Any]) -> str:
    """The project's part of the review: loss reasons and what new customers asked for most (R11, R17)."""
    losses = ", ".join(f"{reason} {n}" for reason, n in sorted(project["loss_reasons"].items())) or "none"
    needs = ", ".join(f"{n['need']} ({n['customers']})" for n in project["most_asked_needs"]) or "none yet"
    return f"losses: {losses}; most asked needs: {needs}"
