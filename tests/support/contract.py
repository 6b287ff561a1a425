"""What the published contract promises, written out here rather than read from the code, so that a topic dropped
from the catalogue or from the deployed files is noticed."""

from __future__ import annotations

# The contract's topics (v1.1 topics of features not built yet are added with them).
CONTRACT_TOPIC_NAMES = frozenset(
    {
        "estate.inventory.unit-locked.v1",
        "estate.inventory.unit-released.v1",
        "estate.payments.deposit-verified.v1",
        "estate.inventory.subscription-signed.v1",
        "estate.inventory.contract-signed.v1",
        "estate.inventory.handover-completed.v1",
        "estate.property.handoff.v1",
        "estate.leads.customer-registered.v1",
        "estate.leads.followup-recorded.v1",
        "estate.leads.deal-credited.v1",
        "estate.payments.deposit-refunded.v1",
        "estate.payments.payment-received.v1",
        "estate.payments.payment-overdue.v1",
        "estate.leads.ownership-changed.v1",
        "estate.inventory.sale-cancelled.v1",
        "estate.property.handoff-acknowledged.v1",
        "estate.leads.referral-rewarded.v1",
        "estate.inventory.opening-drawn.v1",
        "estate.inventory.prices-changed.v1",
    }
)
