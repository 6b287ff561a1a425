"""What leads takes and answers: the request and response bodies its OpenAPI document describes."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from shared.fields import Code, Id, JsonObject, Label, Long, Name, Reason, Time, Word


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


class NewCustomer(BaseModel):
    project_id: Id
    name: Name
    phone: Code | None = None
    source: Word
    visitor_type: Code = "customer"
    profile: JsonObject = Field(default_factory=dict)
    tags: Annotated[list[Label], Field(max_length=30)] = Field(default_factory=list)
    grade: Code | None = None
    consent_share: bool = False
    referred_by: Label | None = None


class Registered(BaseModel):
    id: str
    owner_id: str
    protected_until: str
    existing: bool


class Lookup(BaseModel):
    exists: bool
    owner_id: str | None
    owner_name: str | None
    protected_until: str | None
    protected: bool


class Followup(BaseModel):
    channel: Code
    content: Long
    next_contact_at: Time
    feedback: JsonObject | None = None


class GradeBody(BaseModel):
    grade: Code


class Assign(BaseModel):
    consultant_id: Name
    reason: Reason


class Call(BaseModel):
    project_id: Id
    rang_at: Time
    answered_at: Time | None = None
    rings: int | None = Field(default=None, ge=1, le=50)
    caller_phone: Code | None = None
    caller_name: Label | None = None
    asked: Long | None = None
