"""The data model of every event (`data` of the envelope), one pydantic model per topic. Unknown fields are kept
(`extra="allow"`), so producers may add fields safely. `shared.messaging.topics` names the topics that carry them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class EventData(BaseModel):
    """Base of every event's `data`: unknown fields are kept, not rejected."""

    model_config = ConfigDict(extra="allow")


class UnitLockedData(EventData):
    hold_id: str
    unit_id: str
    building: str
    number: str
    customer_id: str
    consultant_id: str
    expires_at: datetime
    list_price: Decimal
    area_m2: Decimal | None = None  # issue 22: the unit's area, for the group's reports (held area)


class UnitReleasedData(EventData):
    hold_id: str
    unit_id: str
    # expired | cancelled | refunded | opening (issue 19: held outside an opening's order when it went live); a
    # plain string, so a consumer reads a reason it does not know yet
    reason: str = Field(description="expired, cancelled, refunded, or opening (released when an opening went live)")


class CountedDeposit(EventData):
    """What every event of a deposit counted twice (R23) says of it: the deposit, its hold, unit, customer, amount
    and receipt number (`deposit-verified`, `cash-not-banked`)."""

    deposit_id: str
    hold_id: str
    unit_id: str
    customer_id: str
    amount: Decimal
    receipt_no: str


class DepositVerifiedData(CountedDeposit):
    verified_by: list[str]


class DownPayment(EventData):
    amount: Decimal
    due_date: date


class SubscriptionSignedData(EventData):
    sale_id: str
    unit_id: str
    customer_id: str
    price: Decimal
    down_payment: DownPayment
    consultant_id: str | None = None  # who held the unit for the buyer (leads credits the deal, R10)
    hold_id: str | None = None
    area_m2: Decimal | None = None  # issue 22: the unit's area, for the group's reports (subscribed area)


class ContractSignedData(EventData):
    sale_id: str
    unit_id: str
    customer_id: str
    contract_no: str
    signed_at: datetime
    price: Decimal | None = None  # issue 22, for the group's reports: the sale's price, the unit's area,
    area_m2: Decimal | None = None
    consultant_id: str | None = None  # and who held the unit for the buyer


class HandoverCompletedData(EventData):
    sale_id: str
    unit_id: str
    customer_id: str
    handed_over_at: datetime
    # Beyond docs/api.md's minimum, so leads can build the property hand-off without asking anyone:
    project: dict[str, Any] | None = None  # {id, code, name}
    unit: dict[str, Any] | None = None  # {building, number, floor, area_m2}
    contract_no: str | None = None


class ProjectCreatedData(EventData):
    """A project and its settings (hold_minutes, protection_days, cash_limit, time zone, quiet hours, …)."""

    project_id: str
    code: str
    name: str
    city: str | None = None
    settings: dict[str, Any] = {}
    org_id: str | None = None  # v1.2: the org unit the project belongs to (none: no group)


class MortgageAppointmentScheduledData(EventData):
    """R30: the bank appointment; notifications reminds 7, 3 and 1 days before."""

    appointment_id: str
    sale_id: str
    unit_id: str
    customer_id: str | None = None
    at: datetime
    place: str
    documents: list[str] = []


class HandoffData(EventData):
    handoff_id: str
    unit_id: str  # the partition key: one unit's events stay in order
    project: dict[str, Any]
    unit: dict[str, Any]
    resident: dict[str, Any]
    contract_no: str | None = None
    handed_over_at: datetime


class CustomerEventData(EventData):
    """What every customer event carries: the customer, their owner and when to contact them next (R14)."""

    customer_id: str
    owner_id: str
    next_contact_at: datetime | None = None


class CustomerRegisteredData(CustomerEventData):
    grade: str | None = None
    visitor_type: str = "customer"
    key_visitor: bool = False  # R5: staff and peers are registered but are not leads
    source: str | None = None  # walk_in, phone_call, referral, online, …: a walk-in is a visit (issue 22)


class FollowupRecordedData(CustomerEventData):
    followup_id: str
    channel: str | None = None  # visit, phone, wechat, sms, …: a visit counts in the reports (issue 22)


class ReferralRewardedData(EventData):
    """R34: the referrer and the referred buyer both receive the project's referral reward."""

    referral_id: str
    referrer_customer_id: str
    customer_id: str
    reward: str
    referrer_project_id: str | None = None  # v1.2: the project of the referring owner (may be another one)


class CallbackScheduledData(EventData):
    """R7: a consultant will call a customer back at `due_at` (the purpose stays in leads: it may be personal)."""

    callback_id: str
    customer_id: str
    consultant_id: str
    due_at: datetime


class CallbackDoneData(EventData):
    callback_id: str
    customer_id: str


class OverdueDigestData(EventData):
    """R13: one project's overdue follow-ups on a morning, one line per consultant (ids, names and counts)."""

    project_id: str
    day: date
    overdue: int
    consultants: list[dict[str, Any]]  # {consultant_id, consultant_name, followups, callbacks, oldest_due_at}


class OwnerNewsData(EventData):
    """R33: an owner who consented hears of the group's new project, at `send_at` (one contact, R15)."""

    customer_id: str
    new_project_id: str
    new_project_name: str
    send_at: datetime


class DealCreditedData(EventData):
    customer_id: str
    sale_id: str
    unit_id: str
    consultant_id: str


class DepositRefundedData(EventData):
    deposit_id: str
    hold_id: str
    unit_id: str
    customer_id: str
    amount: Decimal


class PaymentReceivedData(EventData):
    payment_id: str
    sale_id: str
    unit_id: str
    kind: str
    amount: Decimal  # in yuan (a payment in another currency: its CNY equivalent)
    customer_id: str | None = None
    # issue 24: the receipt's number, the currency paid in, and what the sale still lacks after it (R31: none left
    # and the contract signed, the deal passes to after-sales)
    receipt_no: str | None = None
    currency: str = "CNY"
    outstanding: Decimal | None = None


class PaymentOverdueData(EventData):
    sale_id: str
    unit_id: str
    customer_id: str
    amount: Decimal
    due_date: date


class OwnershipChangedData(EventData):
    """Who owns a customer now (R8, R9): other services keep who owns whom from this and customer-registered."""

    customer_id: str
    project_id: str
    from_consultant_id: str | None = None
    to_consultant_id: str
    reason: str  # claim | assign | lapse | handover (v1.2: a consultant left the project)


class SaleCancelledData(EventData):
    """退订: a reserved or subscribed sale is cancelled; the unit is available again; payments refunds."""

    sale_id: str
    unit_id: str
    customer_id: str
    reason: str
    hold_id: str | None = None


class HandoffAcknowledgedData(EventData):
    """The property company received the new resident (issue 12)."""

    handoff_id: str
    unit_id: str
    resident_account_id: str | None = None


class TestEventData(EventData):
    """Used by the platform's own delivery tests (outbox → broker → inbox)."""

    seq: int
    key: str


class VisitorTypeChangedData(EventData):
    """R5: a customer's visitor type corrected after registration; a key visitor is no lead (nothing is held)."""

    customer_id: str
    project_id: str
    visitor_type: str  # customer | developer_staff | competitor_peer
    key_visitor: bool
    changed_by: str


class OpeningWindow(EventData):
    """One batch of an opening: queue numbers queue_from..queue_to hold units in [starts_at, ends_at)."""

    batch: int
    starts_at: datetime
    ends_at: datetime
    queue_from: int
    queue_to: int


class OpeningDrawnData(EventData):
    """Issue 11 (开盘, 摇号): the lottery's published seed and every batch's window; with the entrant list anyone
    recomputes the order (HMAC-SHA256(key=seed, msg=customer_id) ascending; docs/openings.md)."""

    opening_id: str
    project_id: str
    seed: str
    entrants: int  # how many
    windows: list[OpeningWindow]
