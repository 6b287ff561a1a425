"""Inventory use cases: each loads, asks the domain, writes rows and outbox events in one transaction; never
the broker. `projects` (a project created, its units imported, its settings), `taking` (a hold taken, R19) at the
process's `hold_desk` (issue 13: its levers, and the attempts' reads and takes grouped), `holds` (a hold released
or expired), `deposits` (what a verified or refunded deposit does to a hold; the conflicts it leaves), `sales`
(subscription, contract, handover), `deals` (quotes, cancellation), `access` (a unit, project or sale found
within the caller's projects), `units` (a unit and the list as the API shows them), `prices` (the price table,
adjustments and their history), `designees` (whom the manager names to take deposits or countersign, R23, R27),
`board`, `openings` (the lottery and its hold rule) and `opening_gate` (an opening going live; units kept out of
it)."""

from services.inventory.use_cases.access import project_in_reach, sale_in_reach, unit_in_reach
from services.inventory.use_cases.board import board_link, board_snapshot, link_state, project_of_link
from services.inventory.use_cases.deals import cancel_sale, make_quote, quoted_price
from services.inventory.use_cases.deposits import close_sale_on_refund, open_conflicts, open_sale
from services.inventory.use_cases.designees import designees, name_designee, sale_to_countersign
from services.inventory.use_cases.hold_desk import HoldDesk
from services.inventory.use_cases.holds import expire_holds, next_hold_expiry, release_hold
from services.inventory.use_cases.opening_gate import keep_out, let_openings_go_live, next_opening_start
from services.inventory.use_cases.prices import adjust_prices, adjustments_page, price_table
from services.inventory.use_cases.projects import (
    BadRows,
    DuplicateCode,
    NewProject,
    ProjectChange,
    announce_group,
    change_project,
    create_project,
    import_units,
    projects_page,
    settings_of,
)
from services.inventory.use_cases.sales import complete_handover, quote_unit, sign_contract, sign_subscription
from services.inventory.use_cases.taking import HoldUnit, UnknownCustomer, hold_unit
from services.inventory.use_cases.units import unit_detail, units_page

__all__ = [
    "designees",
    "name_designee",
    "sale_to_countersign",
    "adjust_prices",
    "adjustments_page",
    "price_table",
    "board_link",
    "board_snapshot",
    "link_state",
    "project_of_link",
    "BadRows",
    "DuplicateCode",
    "NewProject",
    "ProjectChange",
    "announce_group",
    "change_project",
    "projects_page",
    "HoldDesk",
    "HoldUnit",
    "UnknownCustomer",
    "cancel_sale",
    "close_sale_on_refund",
    "complete_handover",
    "create_project",
    "expire_holds",
    "next_hold_expiry",
    "hold_unit",
    "import_units",
    "keep_out",
    "let_openings_go_live",
    "next_opening_start",
    "make_quote",
    "open_conflicts",
    "open_sale",
    "project_in_reach",
    "quote_unit",
    "quoted_price",
    "release_hold",
    "sale_in_reach",
    "settings_of",
    "sign_contract",
    "sign_subscription",
    "unit_detail",
    "unit_in_reach",
    "units_page",
]
