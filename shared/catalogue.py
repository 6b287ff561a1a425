"""The event catalogue: one entry per topic (name, type, key field, producer, data model). Topic names live here
and nowhere else; data models keep unknown fields (`extra="allow"`), so producers may add fields safely."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict


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


class UnitReleasedData(EventData):
    hold_id: str
    unit_id: str
    reason: str  # expired | cancelled | refunded


class DepositVerifiedData(EventData):
    deposit_id: str
    hold_id: str
    unit_id: str
    customer_id: str
    amount: Decimal
    receipt_no: str
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


class ContractSignedData(EventData):
    sale_id: str
    unit_id: str
    customer_id: str
    contract_no: str
    signed_at: datetime


class HandoverCompletedData(EventData):
    sale_id: str
    unit_id: str
    customer_id: str
    handed_over_at: datetime
    # Beyond the contract's minimum, so leads can build the property hand-off without asking anyone:
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


class FollowupRecordedData(CustomerEventData):
    followup_id: str


class ReferralRewardedData(EventData):
    """R34: the referrer and the referred buyer both receive the project's referral reward."""

    referral_id: str
    referrer_customer_id: str
    customer_id: str
    reward: str


class CallbackScheduledData(EventData):
    """R7: a consultant will call a customer back at `due_at` (the purpose stays in leads: it may be personal)."""

    callback_id: str
    customer_id: str
    consultant_id: str
    due_at: datetime


class CallbackDoneData(EventData):
    callback_id: str
    customer_id: str


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
    amount: Decimal
    customer_id: str | None = None


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
    reason: str  # claim | assign | lapse


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


@dataclass(frozen=True)
class Topic:
    """One Kafka topic of the contract: one event type, keyed by one field of its data."""

    name: str
    event_type: str
    key_field: str
    producer: str
    data_model: type[EventData]
    personal: bool = False  # carries personal data (R18): sealed while it waits in the outbox

    @property
    def dlq(self) -> str:
        """The dead-letter twin where unreadable messages go."""
        return f"{self.name}.dlq"

    def key_of(self, data: dict[str, Any]) -> str:
        """The partition key of an event with this `data`."""
        return str(data[self.key_field])


def _topic(producer: str, event_type: str, model: type[EventData], key: str = "unit_id") -> Topic:
    """A topic of the contract's naming scheme; most are keyed by the unit, so one unit's events stay in order."""
    return Topic(f"estate.{producer}.{event_type}.v1", event_type, key, producer, model)


UNIT_LOCKED = _topic("inventory", "unit-locked", UnitLockedData)
UNIT_RELEASED = _topic("inventory", "unit-released", UnitReleasedData)
DEPOSIT_VERIFIED = _topic("payments", "deposit-verified", DepositVerifiedData)
SUBSCRIPTION_SIGNED = _topic("inventory", "subscription-signed", SubscriptionSignedData)
CONTRACT_SIGNED = _topic("inventory", "contract-signed", ContractSignedData)
HANDOVER_COMPLETED = _topic("inventory", "handover-completed", HandoverCompletedData)
PROPERTY_HANDOFF = Topic("estate.property.handoff.v1", "handoff", "unit_id", "leads", HandoffData, personal=True)
CUSTOMER_REGISTERED = _topic("leads", "customer-registered", CustomerRegisteredData, key="customer_id")
FOLLOWUP_RECORDED = _topic("leads", "followup-recorded", FollowupRecordedData, key="customer_id")
DEAL_CREDITED = _topic("leads", "deal-credited", DealCreditedData, key="customer_id")
DEPOSIT_REFUNDED = _topic("payments", "deposit-refunded", DepositRefundedData)
PAYMENT_RECEIVED = _topic("payments", "payment-received", PaymentReceivedData)
PAYMENT_OVERDUE = _topic("payments", "payment-overdue", PaymentOverdueData)
OWNERSHIP_CHANGED = _topic("leads", "ownership-changed", OwnershipChangedData, key="customer_id")  # v1.1
REFERRAL_REWARDED = _topic("leads", "referral-rewarded", ReferralRewardedData, key="customer_id")  # v1.1
CALLBACK_SCHEDULED = _topic("leads", "callback-scheduled", CallbackScheduledData, key="customer_id")
CALLBACK_DONE = _topic("leads", "callback-done", CallbackDoneData, key="customer_id")
SALE_CANCELLED = _topic("inventory", "sale-cancelled", SaleCancelledData)  # v1.1
_ACKNOWLEDGED = "estate.property.handoff-acknowledged.v1"  # the property company's word, relayed by notifications
HANDOFF_ACKNOWLEDGED = Topic(_ACKNOWLEDGED, "handoff-acknowledged", "unit_id", "notifications", HandoffAcknowledgedData)
# Additions to the contract's table (new topics, nothing existing changed).
PROJECT_CREATED = _topic("inventory", "project-created", ProjectCreatedData, key="project_id")
MORTGAGE_APPOINTMENT_SCHEDULED = _topic("payments", "mortgage-appointment-scheduled", MortgageAppointmentScheduledData)
# The platform's own delivery self-test topic.
PLATFORM_TEST = Topic("estate.platform.test-event.v1", "test-event", "key", "platform", TestEventData)

CONTRACT_TOPICS: tuple[Topic, ...] = (
    UNIT_LOCKED,
    UNIT_RELEASED,
    DEPOSIT_VERIFIED,
    SUBSCRIPTION_SIGNED,
    CONTRACT_SIGNED,
    HANDOVER_COMPLETED,
    PROPERTY_HANDOFF,
    CUSTOMER_REGISTERED,
    FOLLOWUP_RECORDED,
    DEAL_CREDITED,
    DEPOSIT_REFUNDED,
    PAYMENT_RECEIVED,
    PAYMENT_OVERDUE,
    OWNERSHIP_CHANGED,
    SALE_CANCELLED,
    HANDOFF_ACKNOWLEDGED,
    REFERRAL_REWARDED,
)
EXTRA_TOPICS: tuple[Topic, ...] = (PROJECT_CREATED, MORTGAGE_APPOINTMENT_SCHEDULED, CALLBACK_SCHEDULED, CALLBACK_DONE)
TOPICS: tuple[Topic, ...] = CONTRACT_TOPICS + EXTRA_TOPICS + (PLATFORM_TEST,)
TOPIC_NAMES: tuple[str, ...] = tuple(t.name for t in CONTRACT_TOPICS + EXTRA_TOPICS)
ALL_TOPIC_NAMES: tuple[str, ...] = tuple(n for t in TOPICS for n in (t.name, t.dlq))


def published_by(service: str) -> tuple[Topic, ...]:
    """The topics a service writes to its outbox: the catalogue names each topic's producer once."""
    return tuple(t for t in TOPICS if t.producer == service)
