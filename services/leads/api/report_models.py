"""What the group's reports answer (issue 22, contract v1.2 "Reports (leads)"), as the OpenAPI document and the
generated clients describe it: the metrics (counts as numbers, areas and money as decimal strings), the lines of
the daily and monthly reports, the funnel, the league, targets and the dashboard's link."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from shared.http.fields import Id
from shared.kernel.money import Money


class Deals(BaseModel):
    count: int
    area_m2: str
    amount: str


class Metrics(BaseModel):
    """The contract's metrics; key visitors (R5) count in none of them."""

    new_customers: int
    visits: int
    calls: int
    calls_within_3_rings: int
    holds: Deals
    subscriptions: Deals
    contracts: Deals
    cancellations: int
    collected: str
    refunded: str
    handovers: int


class ConsultantLine(Metrics):
    consultant_id: str
    name: str | None


class ProjectLine(Metrics):
    project_id: str
    code: str | None
    name: str | None
    consultants: list[ConsultantLine] | None = Field(None, description="with project_id=: each consultant")


class DailyReport(BaseModel):
    date: str
    project_id: str | None = None
    org_id: str | None = None
    org_name: str | None = None
    totals: Metrics
    projects: list[ProjectLine]


class Targets(BaseModel):
    subscriptions_amount: str | None
    contracts_amount: str | None
    collected: str | None


class Completion(BaseModel):
    """Each target's share met: actual ÷ target, half-up to 4 places (null: no target)."""

    subscriptions_amount: float | None
    contracts_amount: float | None
    collected: float | None


class MonthProjectLine(ProjectLine):
    targets: Targets
    completion: Completion


class MonthlyReport(BaseModel):
    month: str
    project_id: str | None = None
    org_id: str | None = None
    org_name: str | None = None
    totals: Metrics
    projects: list[MonthProjectLine]
    targets: Targets = Field(description="the projects' targets summed (those that set one)")
    completion: Completion = Field(description="the summed targets met by the projects that set them")


class Stage(BaseModel):
    count: int
    rate: float | None = Field(description="of the stage before, 4 places; null when that stage is 0")


class FunnelLine(BaseModel):
    registered: int
    visited: Stage
    held: Stage
    subscribed: Stage
    contracted: Stage


class FunnelProject(FunnelLine):
    project_id: str
    code: str | None
    name: str | None


class FunnelReport(FunnelLine):
    model_config = ConfigDict(populate_by_name=True)

    from_: str = Field(alias="from")
    to: str
    project_id: str | None = None
    org_id: str | None = None
    org_name: str | None = None
    projects: list[FunnelProject]


class LeagueLine(Metrics):
    rank: int
    consultant_id: str
    name: str | None
    project_id: str


class NewTargets(BaseModel):
    """The month's targets (指标); a target left out keeps its value, null clears it."""

    subscriptions_amount: Money | None = None
    contracts_amount: Money | None = None
    collected: Money | None = None


class MonthTargets(Targets):
    project_id: str
    month: str


class NewDashboardLink(BaseModel):
    """The dashboard of one project or one org unit, for `hours` (1–72, 12 by default)."""

    project_id: Id | None = None
    org_id: Id | None = None
    hours: int = Field(12, ge=1, le=72)


class DashboardLink(BaseModel):
    url: str
    expires_at: str


class Dashboard(BaseModel):
    project_id: str | None = None
    org_id: str | None = None
    org_name: str | None = None
    today: str
    timezone: str
    daily: DailyReport
    monthly: MonthlyReport
    days: list[dict[str, object]] = Field(description="each of the last 30 days: {date, metrics…} of the scope")
    funnel: FunnelReport
    league: list[LeagueLine]
