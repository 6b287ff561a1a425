"""Leads use cases: each loads, asks the domain, records events in the outbox and commits; never the broker.
`registration`, `customers` (follow-ups, grades, ownership), `access` (whom a person may act for, R8),
`customer_views` (what staff see of customers, opened from the vault), `standard` (profile, tags, closing),
`calls` (the call log), `callbacks`, `claims`, `referrals`, `visitors`, `overdue` (R13), `digest` (R13),
`weekly_review`, `deals` (deal credit), `handoff` (the resident to the property company), `aftersales` (R31, R33),
`projects` (a project's local day), `staff` (staff names), `departures` (a consultant's book handed on, v1.2); the
group's reports (issue 22): `report_facts` (the buckets kept as events come, and rebuilt), `report_scope` (who sees
which report), `reports` (daily, monthly, funnel, league, targets), `report_files` (CSV and Excel), `dashboard`,
`morning_report` (the 08:30 日报)."""

from services.leads.use_cases.access import own_customer, visible_customer
from services.leads.use_cases.aftersales import (
    note_deal_step,
    pass_due_deals,
    record_visit,
    return_visits,
    tell_owners_of_new_project,
)
from services.leads.use_cases.callbacks import callback_done, callbacks_due, plan_callback
from services.leads.use_cases.calls import LogCall, call_stats, log_call
from services.leads.use_cases.claims import claims_page, decide_claim, file_claim
from services.leads.use_cases.customer_views import (
    CustomerQuery,
    customer_record,
    customer_timeline,
    customers_page,
    lookup_owner,
    timeline,
)
from services.leads.use_cases.customers import (
    RecordFollowup,
    assign,
    record_followup,
    record_own_followup,
    seal_legacy_pii,
    set_grade,
)
from services.leads.use_cases.dashboard import dashboard, dashboard_link, link_state, scope_of_link
from services.leads.use_cases.deals import credit_deal
from services.leads.use_cases.departures import Departure, hand_on_book
from services.leads.use_cases.digest import send_digests
from services.leads.use_cases.handoff import HANDOFF_NAMESPACE, prepare_handoff
from services.leads.use_cases.morning_report import (
    MORNING_CHANNEL,
    next_morning_report,
    remember_org,
    send_morning_reports,
)
from services.leads.use_cases.overdue import overdue_followups, overdue_kept_counts, overdue_page
from services.leads.use_cases.projects import local_today
from services.leads.use_cases.referrals import referrals_page, reward_referral
from services.leads.use_cases.registration import (
    REGISTRATION_ATTEMPTS,
    CustomerProtected,
    RegisterCustomer,
    RegistrationBusy,
    register_customer,
)
from services.leads.use_cases.report_facts import COUNTED_KINDS, Fact, count_event, count_fact, rebuild
from services.leads.use_cases.report_files import report_file
from services.leads.use_cases.report_scope import Scope, report_scope
from services.leads.use_cases.reports import (
    ReportQuery,
    daily_report,
    daily_series,
    funnel_report,
    league,
    monthly_report,
    report,
    set_targets,
)
from services.leads.use_cases.staff import remember_staff
from services.leads.use_cases.standard import CustomerChanges, change_customer, close_customer
from services.leads.use_cases.visitors import RegisterQuery, day_register
from services.leads.use_cases.weekly_review import weekly_review, weekly_review_csv

__all__ = [
    "COUNTED_KINDS",
    "Fact",
    "MORNING_CHANNEL",
    "ReportQuery",
    "Scope",
    "count_event",
    "count_fact",
    "daily_report",
    "daily_series",
    "dashboard",
    "dashboard_link",
    "funnel_report",
    "league",
    "link_state",
    "monthly_report",
    "next_morning_report",
    "rebuild",
    "report",
    "remember_org",
    "report_file",
    "report_scope",
    "scope_of_link",
    "send_morning_reports",
    "set_targets",
    "CustomerChanges",
    "CustomerProtected",
    "CustomerQuery",
    "Departure",
    "HANDOFF_NAMESPACE",
    "LogCall",
    "REGISTRATION_ATTEMPTS",
    "RecordFollowup",
    "RegisterCustomer",
    "RegisterQuery",
    "RegistrationBusy",
    "assign",
    "call_stats",
    "callback_done",
    "callbacks_due",
    "change_customer",
    "claims_page",
    "close_customer",
    "credit_deal",
    "customer_record",
    "customer_timeline",
    "customers_page",
    "day_register",
    "decide_claim",
    "file_claim",
    "hand_on_book",
    "local_today",
    "log_call",
    "lookup_owner",
    "note_deal_step",
    "overdue_followups",
    "overdue_kept_counts",
    "overdue_page",
    "own_customer",
    "pass_due_deals",
    "plan_callback",
    "prepare_handoff",
    "record_followup",
    "record_own_followup",
    "record_visit",
    "referrals_page",
    "register_customer",
    "remember_staff",
    "return_visits",
    "reward_referral",
    "seal_legacy_pii",
    "send_digests",
    "set_grade",
    "tell_owners_of_new_project",
    "timeline",
    "visible_customer",
    "weekly_review",
    "weekly_review_csv",
]
