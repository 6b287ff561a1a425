"""Sales control (销控) domain: unit states, project settings, unit rows, price maths, deal paperwork. Pure."""

from services.inventory.domain.board import DEFAULT_HOURS, MAX_HOURS, LinkExpired, LinkInvalid, make_link, read_link
from services.inventory.domain.pricing import (
    QuoteRequest,
    deed_tax_rate,
    discounted_price,
    equal_instalment,
    equal_principal,
    instalment_plan,
    mortgage_plan,
    quote,
)
from services.inventory.domain.project_settings import parse_settings
from services.inventory.domain.rows import UNIT_FIELDS, RowProblem, UnitRow, parse_unit_rows
from services.inventory.domain.sales import (
    ContractSigning,
    SubscriptionTerms,
    check_contract,
    check_handover,
    check_subscription,
)
from services.inventory.domain.status import (
    CENT,
    TRANSITIONS,
    BuyerSignatureRequired,
    IdCopyRequired,
    InvalidTransition,
    PoaNotNotarized,
    PriceBelowFiled,
    UnitNotAvailable,
    UnitStatus,
    check_cancellation,
    check_transition,
)
from shared.kernel.defaults import ProjectSettings
from shared.kernel.errors import DomainError, InvalidInput

__all__ = [
    "DEFAULT_HOURS",
    "MAX_HOURS",
    "LinkExpired",
    "LinkInvalid",
    "make_link",
    "read_link",
    "CENT",
    "TRANSITIONS",
    "UNIT_FIELDS",
    "BuyerSignatureRequired",
    "ContractSigning",
    "DomainError",
    "IdCopyRequired",
    "InvalidInput",
    "InvalidTransition",
    "PoaNotNotarized",
    "PriceBelowFiled",
    "ProjectSettings",
    "QuoteRequest",
    "RowProblem",
    "SubscriptionTerms",
    "UnitNotAvailable",
    "UnitRow",
    "UnitStatus",
    "check_contract",
    "check_cancellation",
    "check_handover",
    "check_subscription",
    "check_transition",
    "deed_tax_rate",
    "discounted_price",
    "equal_instalment",
    "equal_principal",
    "instalment_plan",
    "mortgage_plan",
    "parse_settings",
    "parse_unit_rows",
    "quote",
]
