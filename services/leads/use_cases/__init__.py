"""Leads use cases: each loads, asks the domain, records events in the outbox and commits; never the broker.
`registration`, `customers` (follow-ups, grades, ownership), `calls` (the call log), `reads` (what the API shows),
`aftersale` (deal credit, hand-off), `aftercare` (after-sales, return visits, owners' news), `digest` (R13)."""

from services.leads.use_cases.aftercare import (
    note_deal_step,
    pass_due_deals,
    record_visit,
    return_visits,
    tell_owners_of_new_project,
)
from services.leads.use_cases.aftersale import HANDOFF_NAMESPACE, credit_deal, prepare_handoff
from services.leads.use_cases.callbacks import callback_done, callbacks_due, plan_callback
from services.leads.use_cases.calls import LogCall, call_stats, log_call
from services.leads.use_cases.claims import claims_page, decide_claim, file_claim
from services.leads.use_cases.customers import RecordFollowup, assign, record_followup, seal_legacy_pii, set_grade
from services.leads.use_cases.digest import send_digests
from services.leads.use_cases.reads import (
    customer_history,
    customers_page,
    local_today,
    lookup_owner,
    overdue_followups,
    own_customer,
    remember_staff,
    timeline,
    visible_customer,
)
from services.leads.use_cases.referrals import referrals_page, reward_referral
from services.leads.use_cases.registration import (
    REGISTRATION_ATTEMPTS,
    CustomerProtected,
    RegisterCustomer,
    RegistrationBusy,
    register_customer,
)
from services.leads.use_cases.reports import weekly_review
from services.leads.use_cases.standard import CustomerChanges, change_customer, close_customer

__all__ = [
    "note_deal_step",
    "pass_due_deals",
    "record_visit",
    "return_visits",
    "tell_owners_of_new_project",
    "send_digests",
    "weekly_review",
    "referrals_page",
    "reward_referral",
    "callback_done",
    "callbacks_due",
    "plan_callback",
    "claims_page",
    "decide_claim",
    "file_claim",
    "CustomerChanges",
    "change_customer",
    "close_customer",
    "HANDOFF_NAMESPACE",
    "credit_deal",
    "prepare_handoff",
    "REGISTRATION_ATTEMPTS",
    "CustomerProtected",
    "LogCall",
    "RegisterCustomer",
    "RegistrationBusy",
    "assign",
    "call_stats",
    "customer_history",
    "customers_page",
    "local_today",
    "log_call",
    "lookup_owner",
    "overdue_followups",
    "own_customer",
    "RecordFollowup",
    "record_followup",
    "register_customer",
    "remember_staff",
    "seal_legacy_pii",
    "set_grade",
    "timeline",
    "visible_customer",
]
