"""Leads' pure rules: `customers` (registration, ownership, protection, calls, hand-off: R1–R14, R18) and
`standard` (the follow-up standard: profile, tags, contact cap, quiet hours, loss: R11, R12, R15, R17),
`referrals` (R34 with R5: who may earn a reward), `reports` (the weekly review) and `aftersales` (R13 digest,
R31, R33)."""

from services.leads.domain import aftersales, customers, referrals, reports, standard
from services.leads.domain.aftersales import *  # noqa: F403
from services.leads.domain.customers import *  # noqa: F403  (this package is its modules' names)
from services.leads.domain.referrals import *  # noqa: F403
from services.leads.domain.reports import *  # noqa: F403
from services.leads.domain.standard import *  # noqa: F403
from shared.kernel.errors import InvalidInput

__all__ = [
    *aftersales.__all__,
    *customers.__all__,
    *referrals.__all__,
    *reports.__all__,
    *standard.__all__,
    "InvalidInput",
]
