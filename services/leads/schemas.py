"""What leads takes and answers: the request and response bodies its OpenAPI document describes."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.http.fields import Code, Day, Id, Label, Long, Name, Reason, Short, Time, Word
from shared.kernel.money import Money


class CustomerSummary(BaseModel):
    """A customer in a list: the phone masked (R18)."""

    id: str
    project_id: str
    owner_id: str | None
    name: str
    phone: str | None
    source: str
    visitor_type: str
    key_visitor: bool
    grade: str | None
    tags: list[str]
    protected_until: str
    last_touch_at: str
    next_contact_at: str | None
    followup_due_at: str | None
    followup_overdue: bool
    status: str  # active, or lost (R17)


class FollowupView(BaseModel):
    id: str
    at: str
    by: str
    channel: str
    content: str
    feedback: Any
    next_contact_at: str


class OwnerChange(BaseModel):
    at: str
    to: str
    kind: str
    reason: str | None
    decided_by: str | None
    from_: str | None = Field(default=None, alias="from")


class CustomerRecord(CustomerSummary):
    """The full record, for the owner and the manager (R8, R11)."""

    phone_masked: str | None
    profile: dict[str, Any]
    close_reason: str | None
    consent_share: bool
    referred_by: str | None
    registered_at: str
    followups: list[FollowupView]
    ownership_history: list[OwnerChange]


class FollowupRecorded(BaseModel):
    id: str
    customer_id: str
    protected_until: str
    next_contact_at: str


class GradeSet(BaseModel):
    id: str
    grade: str
    previous_grade: str | None
    followup_due_at: str | None


class Assigned(BaseModel):
    id: str
    owner_id: str
    previous_owner_id: str | None
    reason: str
    decided_by: str
    protected_until: str


class TimelineEntry(BaseModel):
    at: str
    kind: str
    detail: Any


class Timeline(BaseModel):
    customer_id: str
    timeline: list[TimelineEntry]


class CallLogged(BaseModel):
    id: str
    rings: int | None
    answer_seconds: float | None
    within_3_rings: bool
    customer_id: str | None
    next_contact_at: str | None = None


class CallFigures(BaseModel):
    calls: int
    answered: int
    within_3_rings: int
    within_3_rings_rate: float | None
    avg_answer_seconds: float | None


class ConsultantCalls(CallFigures):
    consultant_id: str
    max_answer_seconds: float | None


class CallStats(CallFigures):
    project_id: str
    date: str
    timezone: str
    by_consultant: list[ConsultantCalls]


# -- requests ---------------------------------------------------------------------------------------


class Registered(BaseModel):
    id: str
    owner_id: str
    protected_until: str
    existing: bool


class Elsewhere(BaseModel):
    """v1.2: the phone in another project of the group, shared with the customer's consent (R18); no names."""

    project_id: str
    project_name: str | None  # None until leads has heard of the project
    relation: Literal["customer", "owner"]  # owner: their unit there was handed over


class Lookup(BaseModel):
    exists: bool
    owner_id: str | None
    owner_name: str | None
    protected_until: str | None
    protected: bool
    elsewhere: list[Elsewhere]


class Feedback(BaseModel):
    """R17: what the customer said (explicit) and what the consultant read between the lines (implicit)."""

    model_config = ConfigDict(extra="forbid")
    explicit: Annotated[list[Short], Field(max_length=20)] = Field(default_factory=list)
    implicit: Annotated[list[Short], Field(max_length=20)] = Field(default_factory=list)


class Followup(BaseModel):
    channel: Code
    content: Long
    next_contact_at: Time
    feedback: Feedback | None = None


Count = Annotated[int, Field(ge=0, le=100)]
Area = Annotated[Decimal, Field(ge=0, le=100000, max_digits=8, decimal_places=2)]
Names = Annotated[list[Label], Field(max_length=20)]


class Basics(BaseModel):
    """R11 基本信息."""

    model_config = ConfigDict(extra="forbid")
    occupation: Label | None = None
    household_size: Count | None = None
    children: Count | None = None


class Needs(BaseModel):
    """R11 购房需求."""

    model_config = ConfigDict(extra="forbid")
    purpose: Literal["own_use", "investment", "upgrade"] | None = None
    area_m2_min: Area | None = None
    area_m2_max: Area | None = None
    layouts: Names | None = None
    districts: Names | None = None
    delivery_by: Day | None = None
    hidden: Short | None = None


class PurchasingPower(BaseModel):
    """R11 购买力."""

    model_config = ConfigDict(extra="forbid")
    down_payment_capacity: Money | None = None
    loan_eligible: bool | None = None
    budget_min: Money | None = None
    budget_max: Money | None = None
    other_properties: Count | None = None


class Profile(BaseModel):
    """R11: the structured profile; a PATCH changes the fields it names and keeps the rest."""

    model_config = ConfigDict(extra="forbid")
    basic: Basics | None = None
    needs: Needs | None = None
    purchasing_power: PurchasingPower | None = None


class CustomerPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    profile: Profile | None = None
    tags: Annotated[list[Label], Field(max_length=30)] | None = None
    grade: Code | None = None
    visitor_type: Code | None = None
    consent_share: bool | None = None


class NewCustomer(BaseModel):
    project_id: Id
    name: Name
    phone: Code | None = None
    source: Word
    visitor_type: Code = "customer"
    profile: Profile | None = None  # R11: validated exactly as PATCH validates it
    tags: Annotated[list[Label], Field(max_length=30)] = Field(default_factory=list)  # R12: the project's list
    grade: Code | None = None
    consent_share: bool = False
    referred_by: Label | None = None  # a customer id of the project (R34), else kept as a note
    referred_by_phone: Code | None = None  # v1.2, R34: the referring owner's phone, in any project of the group
    next_contact_at: Time | None = None  # R14: the agreed next contact; without it the grade's cadence sets it


class Close(BaseModel):
    reason: Code
    note: Long | None = None


class Closed(BaseModel):
    id: str
    status: str
    reason: str
    closed_at: str


class GradeBody(BaseModel):
    grade: Code


class Assign(BaseModel):
    consultant_id: Name
    reason: Reason


class Call(BaseModel):
    project_id: Id
    rang_at: Time
    answered_at: Time | None = None
    caller_phone: Code | None = None
    caller_name: Label | None = None
    asked: Long | None = None
    next_contact_at: Time | None = None  # R14: agreed with a caller who is (or becomes) this consultant's customer
