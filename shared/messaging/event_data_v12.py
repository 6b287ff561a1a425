"""The data models of the topics added in v1.2 (docs/api.md; contract "Added in v1.2"): a project changed and an org
unit of the group (issue 21), a price adjusted (调价), cash not banked in time (R24), a designee named (R23, R27). Like
`event_data`'s, they keep unknown fields; `topics` re-exports them beside the others."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.messaging.event_data import CountedDeposit, EventData

__all__ = ["CashNotBankedData", "DesigneeNamedData", "OrgChangedData", "PricesChangedData", "ProjectChangedData"]


class ProjectChangedData(EventData):
    """v1.2: a project's name, org unit or settings changed; `settings` holds every setting after the change,
    `version` counts the changes (a service applies a change only over an older one)."""

    project_id: str
    org_id: str | None = None
    name: str
    settings: dict[str, Any] = {}
    version: int = 1
    code: str | None = None  # additive: the project's code (a service may hear of the change before the creation)


class OrgChangedData(EventData):
    """v1.2: an org unit of the group (集团 → 区域 → 城市公司): its place in the tree, root first."""

    org_id: str
    code: str
    name: str
    parent_id: str | None = None
    path_ids: list[str]  # the unit's ancestors and itself, root first
    path: str  # their codes joined by "/", e.g. GRP/EAST/SH


class PricesChangedData(EventData):
    """Issue 24, 调价: one unit's list price adjusted (never a held or sold unit's, never below its filed floor)."""

    adjustment_id: str
    unit_id: str
    old_price: Decimal
    new_price: Decimal
    reason: str
    building: str | None = None
    number: str | None = None


class CashNotBankedData(CountedDeposit):
    """R24: verified cash not banked by its deadline (verification + `cash_banking_days`); told once, in the app, to
    the project's finance staff and managers."""

    banking_due_at: datetime


class DesigneeNamedData(EventData):
    """R23, R27: a project manager named (or, with no powers, withdrew) a designee: `take_deposits` lets them take and
    count deposits (payments), `countersign` lets them countersign subscriptions (inventory)."""

    project_id: str
    staff_id: str
    powers: list[str]
    reason: str
    named_by: str
    named_at: datetime
