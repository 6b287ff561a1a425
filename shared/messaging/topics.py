"""The event catalogue: one entry per topic (name, type, key field, producer, data model). Topic names live here
and nowhere else; data models keep unknown fields (`extra="allow"`), so producers may add fields safely."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# ruff: noqa: F405  (the models travel with their topics: `topics.UnitLockedData`)
from shared.messaging.event_data import *  # noqa: F403
from shared.messaging.event_data import EventData
from shared.messaging.event_data_v12 import *  # noqa: F403
from shared.messaging.report_data import DailyReportData


@dataclass(frozen=True)
class Topic:
    """One Kafka topic of the platform (docs/api.md lists them): one event type, keyed by one field of its data."""

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
    """A topic of the platform's naming scheme; most are keyed by the unit, so one unit's events stay in order."""
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
OVERDUE_DIGEST = _topic("leads", "overdue-digest", OverdueDigestData, key="project_id")
OWNER_NEWS = _topic("leads", "owner-news", OwnerNewsData, key="customer_id")
VISITOR_TYPE_CHANGED = _topic("leads", "visitor-type-changed", VisitorTypeChangedData, key="customer_id")  # R5
SALE_CANCELLED = _topic("inventory", "sale-cancelled", SaleCancelledData)  # v1.1
OPENING_DRAWN = _topic("inventory", "opening-drawn", OpeningDrawnData, key="project_id")  # v1.1, issue 11 (开盘)
DESIGNEE_NAMED = _topic("inventory", "designee-named", DesigneeNamedData, key="project_id")  # R23, R27 (issue 24)
PRICES_CHANGED = _topic("inventory", "prices-changed", PricesChangedData)  # v1.2, issue 24 (调价): one per unit
_ACKNOWLEDGED = "estate.property.handoff-acknowledged.v1"  # the property company's word, relayed by notifications
HANDOFF_ACKNOWLEDGED = Topic(_ACKNOWLEDGED, "handoff-acknowledged", "unit_id", "notifications", HandoffAcknowledgedData)
# Additions to docs/api.md's table (new topics, nothing existing changed).
PROJECT_CREATED = _topic("inventory", "project-created", ProjectCreatedData, key="project_id")
PROJECT_CHANGED = _topic("inventory", "project-changed", ProjectChangedData, key="project_id")  # v1.2
ORG_CHANGED = _topic("inventory", "org-changed", OrgChangedData, key="org_id")  # v1.2, the group's tree
DAILY_REPORT = _topic("leads", "daily-report", DailyReportData, key="org_id")  # v1.2, issue 22: the morning report
MORTGAGE_APPOINTMENT_SCHEDULED = _topic("payments", "mortgage-appointment-scheduled", MortgageAppointmentScheduledData)
CASH_NOT_BANKED = _topic("payments", "cash-not-banked", CashNotBankedData)  # R24, issue 24
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
    OPENING_DRAWN,
    PROJECT_CHANGED,
    PRICES_CHANGED,
)
EXTRA_TOPICS: tuple[Topic, ...] = (
    PROJECT_CREATED,
    MORTGAGE_APPOINTMENT_SCHEDULED,
    CASH_NOT_BANKED,
    DESIGNEE_NAMED,
    CALLBACK_SCHEDULED,
    CALLBACK_DONE,
    OVERDUE_DIGEST,
    OWNER_NEWS,
    VISITOR_TYPE_CHANGED,
    ORG_CHANGED,
    DAILY_REPORT,
)
TOPICS: tuple[Topic, ...] = CONTRACT_TOPICS + EXTRA_TOPICS + (PLATFORM_TEST,)
TOPIC_NAMES: tuple[str, ...] = tuple(t.name for t in CONTRACT_TOPICS + EXTRA_TOPICS)
ALL_TOPIC_NAMES: tuple[str, ...] = tuple(n for t in TOPICS for n in (t.name, t.dlq))


def published_by(service: str) -> tuple[Topic, ...]:
    """The topics a service writes to its outbox: the catalogue names each topic's producer once."""
    return tuple(t for t in TOPICS if t.producer == service)


# Which services consume each topic: a relay needs it to know when every consumer has read an event (the broker
# may lose what nobody confirmed, shared/redelivery.py). tests/unit/shared/test_catalogue_consumers.py keeps it
# equal to the handlers the services register. A topic no service reads is absent: `prices-changed` (issue 24) is for
# systems outside (the board reads inventory's own tables), so its events need no consumer's confirmation.
CONSUMED_BY: dict[str, tuple[str, ...]] = {
    CONTRACT_SIGNED.name: ("leads", "payments"),  # payments: the contract copy is collected after it (R29)
    HANDOVER_COMPLETED.name: ("leads", "notifications"),
    PROJECT_CREATED.name: ("leads", "payments", "notifications"),
    PROJECT_CHANGED.name: ("leads", "payments", "notifications"),
    ORG_CHANGED.name: ("leads", "payments", "notifications"),
    SALE_CANCELLED.name: ("leads", "payments", "notifications"),
    SUBSCRIPTION_SIGNED.name: ("leads", "payments", "notifications"),
    UNIT_LOCKED.name: ("leads", "payments"),
    UNIT_RELEASED.name: ("leads", "payments"),
    CALLBACK_DONE.name: ("notifications",),
    CASH_NOT_BANKED.name: ("notifications",),
    DESIGNEE_NAMED.name: ("payments",),
    CALLBACK_SCHEDULED.name: ("notifications",),
    CUSTOMER_REGISTERED.name: ("inventory", "payments", "notifications"),
    OVERDUE_DIGEST.name: ("notifications",),
    DAILY_REPORT.name: ("notifications",),
    OWNER_NEWS.name: ("notifications",),
    OWNERSHIP_CHANGED.name: ("inventory", "payments", "notifications"),
    REFERRAL_REWARDED.name: ("notifications",),
    VISITOR_TYPE_CHANGED.name: ("inventory",),
    DEPOSIT_REFUNDED.name: ("leads", "inventory", "notifications"),
    DEPOSIT_VERIFIED.name: ("leads", "inventory"),
    MORTGAGE_APPOINTMENT_SCHEDULED.name: ("leads", "notifications"),
    PAYMENT_OVERDUE.name: ("leads", "notifications"),
    PAYMENT_RECEIVED.name: ("leads", "notifications"),
    HANDOFF_ACKNOWLEDGED.name: ("leads",),
    PROPERTY_HANDOFF.name: ("notifications",),
}


def consumers_of(topic: str) -> tuple[str, ...]:
    """The services that consume `topic` (none: nobody needs to confirm its events)."""
    return CONSUMED_BY.get(topic, ())
