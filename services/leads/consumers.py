"""Leads' event handlers: read models, the customer timeline, deal credit (R10) and the hand-off (R18, R32)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import asyncpg

from services.leads import store, use_cases
from shared.kernel.defaults import ProjectSettings
from shared.messaging import topics
from shared.messaging.envelope import Envelope
from shared.messaging.inbox import Handlers
from shared.runtime.logs import log
from shared.trust import orgs
from shared.trust.pii import Vault

HANDLERS = Handlers()


@HANDLERS.on(topics.PROJECT_CREATED)
async def on_project_created(conn: asyncpg.Connection, env: Envelope, data: topics.ProjectCreatedData) -> None:
    """Read model: protection period (R10), time zone, code and name for the hand-off; news to owners (R33)."""
    rules = ProjectSettings.from_event(data.settings)
    project_id = uuid.UUID(data.project_id)
    new = await store.project(conn, project_id) is None
    await store.save_project(conn, (project_id, data.code, data.name), rules)
    await orgs.remember_project(conn, data.project_id, data.org_id)
    if new:  # R33: owners of the group's other projects hear of it (not again when its settings change)
        await use_cases.tell_owners_of_new_project(conn, project_id, data.name)


@HANDLERS.on(topics.PROJECT_CHANGED)
async def on_project_changed(conn: asyncpg.Connection, env: Envelope, data: topics.ProjectChangedData) -> None:
    """v1.2: the project's rules from now on (protection period, time zone, quiet hours, contact cap, tags), its
    name and its org unit; what was already done keeps its terms (a protection period running ends as it was)."""
    rules = ProjectSettings.from_event(data.settings)
    project_id = uuid.UUID(data.project_id)
    await store.save_project(conn, (project_id, data.code or "", data.name), rules, changed=True)
    await orgs.remember_project(conn, data.project_id, data.org_id)


async def _customer_of(
    conn: asyncpg.Connection,
    customer_id: str | None = None,
    hold_id: str | None = None,
    sale_id: str | None = None,
    unit_id: str | None = None,
) -> uuid.UUID | None:
    """The customer an event is about: named, else through its hold or sale, else the unit's latest hold."""
    if customer_id:
        return uuid.UUID(customer_id)
    if hold_id and (row := await store.hold(conn, uuid.UUID(hold_id))):
        return row["customer_id"]
    if sale_id and (row := await store.sale(conn, uuid.UUID(sale_id))):
        return row["customer_id"]
    if unit_id and (row := await store.latest_hold_of_unit(conn, uuid.UUID(unit_id))):
        return row["customer_id"]
    return None


async def _on_timeline(
    conn: asyncpg.Connection, env: Envelope, customer_id: uuid.UUID | None, kind: str, detail: dict[str, Any]
) -> None:
    """Only customers of this service appear; an event about someone unknown here changes nothing."""
    if customer_id is not None and await store.customer_exists(conn, customer_id):
        await store.add_timeline(conn, customer_id, env.occurred_at, kind, detail, env.id)
    else:
        log("timeline_event_without_customer", event_type=env.type, event_id=str(env.id))


def _picked(data: Any, names: str) -> dict[str, Any]:
    """Some of an event's fields for the timeline (amounts as strings, as money travels)."""
    values = {name: getattr(data, name) for name in names.split()}
    return {name: str(v) if isinstance(v, Decimal) else v for name, v in values.items()}


@HANDLERS.on(topics.UNIT_LOCKED)
async def on_unit_locked(conn: asyncpg.Connection, env: Envelope, data: topics.UnitLockedData) -> None:
    """Read model of holds (hold → consultant, customer, unit) and the customer's timeline."""
    customer_id, unit = uuid.UUID(data.customer_id), (data.building, data.number)
    await store.remember_hold(
        conn, uuid.UUID(data.hold_id), uuid.UUID(data.unit_id), customer_id, data.consultant_id, *unit, env.occurred_at
    )
    detail = {"unit": f"{data.building}-{data.number}", "by": data.consultant_id}
    detail |= _picked(data, "unit_id hold_id expires_at list_price")
    await _on_timeline(conn, env, customer_id, "unit_held", detail)


@HANDLERS.on(topics.UNIT_RELEASED)
async def on_unit_released(conn: asyncpg.Connection, env: Envelope, data: topics.UnitReleasedData) -> None:
    customer = await _customer_of(conn, hold_id=data.hold_id, unit_id=data.unit_id)
    await _on_timeline(conn, env, customer, "unit_released", _picked(data, "unit_id hold_id reason"))


@HANDLERS.on(topics.DEPOSIT_VERIFIED)
async def on_deposit_verified(conn: asyncpg.Connection, env: Envelope, data: topics.DepositVerifiedData) -> None:
    detail = _picked(data, "unit_id deposit_id amount receipt_no")
    await _on_timeline(conn, env, uuid.UUID(data.customer_id), "deposit_verified", detail)


@HANDLERS.on(topics.DEPOSIT_REFUNDED)
async def on_deposit_refunded(conn: asyncpg.Connection, env: Envelope, data: topics.DepositRefundedData) -> None:
    detail = _picked(data, "unit_id deposit_id amount")
    await _on_timeline(conn, env, uuid.UUID(data.customer_id), "deposit_refunded", detail)


@HANDLERS.on(topics.SUBSCRIPTION_SIGNED)
async def on_subscription_signed(conn: asyncpg.Connection, env: Envelope, data: topics.SubscriptionSignedData) -> None:
    """R10: the deal's credit (use case `credit_deal`); R31: the down payment the deal waits for."""
    await use_cases.credit_deal(conn, env, data)
    sale = (uuid.UUID(data.sale_id), uuid.UUID(data.unit_id), uuid.UUID(data.customer_id))
    await use_cases.note_deal_step(conn, sale, "down_payment_due", data.down_payment.amount)


@HANDLERS.on(topics.CONTRACT_SIGNED)
async def on_contract_signed(conn: asyncpg.Connection, env: Envelope, data: topics.ContractSignedData) -> None:
    customer_id = uuid.UUID(data.customer_id)
    await store.set_contract_no(conn, uuid.UUID(data.sale_id), uuid.UUID(data.unit_id), customer_id, data.contract_no)
    detail = _picked(data, "sale_id contract_no signed_at")
    await _on_timeline(conn, env, customer_id, "contract_signed", detail)
    await use_cases.reward_referral(conn, env, data)  # R34
    await use_cases.pass_due_deals(conn, uuid.UUID(data.sale_id))  # R31: the contract may be the last step


@HANDLERS.on(topics.PAYMENT_RECEIVED)
async def on_payment_received(conn: asyncpg.Connection, env: Envelope, data: topics.PaymentReceivedData) -> None:
    customer = await _customer_of(conn, data.customer_id, sale_id=data.sale_id, unit_id=data.unit_id)
    detail = _picked(data, "sale_id payment_id kind amount")
    await _on_timeline(conn, env, customer, "payment_received", detail)
    if customer is None:
        return
    sale = (uuid.UUID(data.sale_id), uuid.UUID(data.unit_id), customer)
    if data.kind == "down_payment":  # R31
        await use_cases.note_deal_step(conn, sale, "down_payment_paid", data.amount)
    if data.outstanding is not None and data.outstanding <= 0:  # R31: paid in full, no mortgage needed
        await use_cases.note_deal_step(conn, sale, "paid_in_full_at", env.occurred_at)


@HANDLERS.on(topics.PAYMENT_OVERDUE)
async def on_payment_overdue(conn: asyncpg.Connection, env: Envelope, data: topics.PaymentOverdueData) -> None:
    detail = _picked(data, "sale_id amount") | {"due_date": str(data.due_date)}
    await _on_timeline(conn, env, uuid.UUID(data.customer_id), "payment_overdue", detail)


@HANDLERS.on(topics.MORTGAGE_APPOINTMENT_SCHEDULED)
async def on_mortgage_appointment(
    conn: asyncpg.Connection, env: Envelope, data: topics.MortgageAppointmentScheduledData
) -> None:
    customer = await _customer_of(conn, data.customer_id, sale_id=data.sale_id, unit_id=data.unit_id)
    detail = _picked(data, "sale_id at place") | {"documents": list(data.documents)}
    await _on_timeline(conn, env, customer, "mortgage_appointment", detail)
    if customer is not None:  # R31: the mortgage papers are handed in at the bank appointment (R30)
        sale = (uuid.UUID(data.sale_id), uuid.UUID(data.unit_id), customer)
        await use_cases.note_deal_step(conn, sale, "mortgage_papers_at", data.at)


def handoff_builder(
    vault: Vault,
) -> Callable[[asyncpg.Connection, Envelope, topics.HandoverCompletedData], Awaitable[None]]:
    """R18, R32: the handler that prepares the resident hand-off, with the vault to open the customer's record."""

    async def on_handover_completed(
        conn: asyncpg.Connection, env: Envelope, data: topics.HandoverCompletedData
    ) -> None:
        await use_cases.prepare_handoff(conn, vault, env, data)

    return on_handover_completed


@HANDLERS.on(topics.HANDOFF_ACKNOWLEDGED)
async def on_handoff_acknowledged(
    conn: asyncpg.Connection, env: Envelope, data: topics.HandoffAcknowledgedData
) -> None:
    """The property company confirmed the new resident (issue 12): it shows on the customer's timeline."""
    customer_id = await store.customer_of_handoff(conn, data.handoff_id)
    if customer_id is None:  # retried, then dead-lettered with the reason: never dropped silently
        raise LookupError(f"acknowledgement of hand-off {data.handoff_id} that leads never made")
    detail = _picked(data, "handoff_id unit_id resident_account_id")
    await store.add_timeline(conn, customer_id, env.occurred_at, "handoff_acknowledged", detail, env.id)


# Issue 22: the group's reports count these events, in the same inbox transaction as what the handlers above do
# with them (the app runs both, these second: a sale counts for the consultant the deal credit has just named).
REPORT_HANDLERS = Handlers()


async def count_for_reports(conn: asyncpg.Connection, env: Envelope, data: Any) -> None:
    """Issue 22: the event's figures added to its bucket (its project's local day, its consultant), once."""
    await use_cases.count_event(conn, env)


for _counted in (t for t in topics.TOPICS if t.event_type in use_cases.COUNTED_KINDS and t.producer != "leads"):
    REPORT_HANDLERS.on(_counted)(count_for_reports)


@REPORT_HANDLERS.on(topics.ORG_CHANGED)
async def on_org_for_reports(conn: asyncpg.Connection, env: Envelope, data: topics.OrgChangedData) -> None:
    """Issue 22: an org unit's name for its reports; a new unit may have its morning report due at once."""
    await use_cases.remember_org(conn, data.org_id, data.code, data.name)
