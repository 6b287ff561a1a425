"""Leads' pure rules: `customers` (registration, ownership, protection, calls, hand-off: R1–R14, R18) and
`standard` (the follow-up standard: profile, tags, contact cap, quiet hours, loss: R11, R12, R15, R17),
`referrals` (R34 with R5: who may earn a reward), `weekly_review` (the weekly review), `aftersales` (R13 digest,
R31, R33), `departures` (a consultant's book handed on when they leave a project, v1.2) and the group's reports
(issue 22): `reports` (the metrics and their sums), `report_calendar` (days,
months, the morning report), `report_tables` (a report's CSV and workbook tables)."""

from services.leads.domain import (
    aftersales,
    customers,
    departures,
    referrals,
    report_calendar,
    report_tables,
    reports,
    standard,
    weekly_review,
)
from services.leads.domain.aftersales import *  # noqa: F403
from services.leads.domain.customers import *  # noqa: F403  (this package is its modules' names)
from services.leads.domain.departures import *  # noqa: F403
from services.leads.domain.referrals import *  # noqa: F403
from services.leads.domain.report_calendar import *  # noqa: F403
from services.leads.domain.report_tables import *  # noqa: F403
from services.leads.domain.reports import *  # noqa: F403
from services.leads.domain.standard import *  # noqa: F403
from services.leads.domain.weekly_review import *  # noqa: F403
from shared.kernel.errors import InvalidInput

__all__ = [
    *aftersales.__all__,
    *customers.__all__,
    *departures.__all__,
    *referrals.__all__,
    *report_calendar.__all__,
    *report_tables.__all__,
    *reports.__all__,
    *standard.__all__,
    *weekly_review.__all__,
    "InvalidInput",
]
