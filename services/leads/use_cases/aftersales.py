"""Leads use cases after the sale (R31, R33): a deal passes from the consultant to after-sales (`service` role),
the owner's return visit is due `return_visit_days` after handover and recorded once, and owners who consented
hear of the group's new projects — one message per person, counted as a contact (R15)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.leads import store
from services.leads.domain import (
    DealProgress,
    check_visit_record,
    local_day_span,
    news_send_at,
    passes_to_aftersales,
    return_visit_due,
)
from shared.http.auth import Principal
from shared.kernel.clock import now_utc
from shared.kernel.errors import NotFound, found
from shared.messaging import topics
from shared.messaging.outbox import add_event
from shared.runtime.logs import log
from shared.trust import orgs
from shared.trust.pii import Vault

VISIT_NAMESPACE = uuid.UUID("0f7d5a8e-3b7e-4c1a-9a55-6d2f4c0b9e21")  # one return visit per sale, on any replay
EARLIEST, LATEST = datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)


async def note_deal_step(
    conn: asyncpg.Connection, sale: tuple[uuid.UUID, uuid.UUID, uuid.UUID], name: str, value: Any
) -> None:
    """R31: a step of a sale (sale, unit, customer) heard from another service; it may end the consultant's duty."""
    await store.note_progress(conn, sale, name, value)
    await pass_due_deals(conn, sale[0])


async def pass_due_deals(
    conn: asyncpg.Connection, sale_id: uuid.UUID | None = None, now: datetime | None = None
) -> int:
    """R31: deals whose down payment is paid, contract signed and mortgage papers in (or handed over) pass to
    after-sales; the customer's timeline says when. Also run every minute: the bank appointment's hour passes."""
    now, passed = now or now_utc(), 0
    async with conn.transaction():  # the mark and the timeline together (a savepoint inside a consumer's)
        for row in await store.deals_in_sales(conn, sale_id):
            if passes_to_aftersales(_progress(row), now) and await store.pass_to_aftersales(conn, row["sale_id"], now):
                passed += 1
                await _passed(conn, row, now)
    return passed


async def _passed(conn: asyncpg.Connection, row: asyncpg.Record, now: datetime) -> None:
    detail = {"sale_id": str(row["sale_id"]), "unit_id": str(row["unit_id"])}
    if await store.customer_exists(conn, row["customer_id"]):
        await store.add_timeline(conn, row["customer_id"], now, "passed_to_aftersales", detail)
    log("deal_passed_to_aftersales", sale_id=detail["sale_id"], unit_id=detail["unit_id"])


def _progress(row: asyncpg.Record) -> DealProgress:
    return DealProgress(
        down_payment_due=row["down_payment_due"],
        down_payment_paid=row["down_payment_paid"],
        contract_signed=row["contract_no"] is not None,
        mortgage_papers_at=row["mortgage_papers_at"],
        handed_over=row["handed_over_at"] is not None,
        paid_in_full=row["paid_in_full_at"] is not None,
    )


async def open_return_visit(
    conn: asyncpg.Connection, customer: asyncpg.Record, data: topics.HandoverCompletedData
) -> None:
    """R31, R33: at handover the deal is after-sales'; the owner's return visit falls due `return_visit_days` later."""
    sale_id, unit_id = uuid.UUID(data.sale_id), uuid.UUID(data.unit_id)
    await note_deal_step(conn, (sale_id, unit_id, customer["id"]), "handed_over_at", data.handed_over_at)
    rules = await store.project_rules(conn, customer["project_id"])
    visit = {"id": uuid.uuid5(VISIT_NAMESPACE, data.sale_id), "sale_id": sale_id, "project_id": customer["project_id"]}
    visit |= {"customer_id": customer["id"], "unit_id": unit_id, "handed_over_at": data.handed_over_at}
    await store.open_visit(conn, visit | {"due_at": return_visit_due(data.handed_over_at, rules.return_visit_days)})


async def return_visits(
    conn: asyncpg.Connection, vault: Vault, project_id: uuid.UUID, due: str | None, window: tuple[Any, int]
) -> list[dict[str, Any]]:
    """R33: return visits by due time — due today (the project's local day), overdue, or all of them."""
    now = now_utc()
    status, between = ("due", (EARLIEST, now)) if due == "overdue" else (None, (EARLIEST, LATEST))
    if due == "today":
        status, between = "due", local_day_span(now, (await store.project_rules(conn, project_id)).timezone)
    return [_visit(row, vault) for row in await store.visits_page(conn, project_id, status, between, window)]


def _visit(row: asyncpg.Record, vault: Vault | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {name: str(row[name]) for name in ("id", "project_id", "customer_id", "sale_id", "unit_id")}
    body |= {name: row[name].isoformat() if row[name] else None for name in ("handed_over_at", "due_at", "done_at")}
    body |= {"status": row["status"], "done_by": row["done_by"]}
    if vault is not None:  # lists show the owner's name and the masked phone (R18), as customer lists do
        body |= {"name": vault.decrypt(row["name_enc"]), "phone": row["phone_masked"]}
    return body


async def record_visit(
    conn: asyncpg.Connection, vault: Vault, visit_id: uuid.UUID, said: tuple[str, str | None], who: Principal
) -> dict[str, Any]:
    """R33: after-sales records the return visit once (what the owner said stays sealed, R18)."""
    outcome, notes = said
    async with conn.transaction():
        row = found(await store.visit(conn, visit_id, lock=True), "no such return visit")
        if not who.works_on(str(row["project_id"])):
            raise NotFound("no such return visit")
        check_visit_record(row["status"], outcome)
        at, sealed = now_utc(), (vault.encrypt(outcome), vault.encrypt(notes) if notes else None)
        await store.record_visit(conn, visit_id, sealed, who.sub, at)
        await store.add_timeline(
            conn, row["customer_id"], at, "return_visit_recorded", {"visit_id": str(visit_id), "by": who.sub}
        )
        row = found(await store.visit(conn, visit_id), "no such return visit")
    return _visit(row) | {"outcome": outcome, "notes": notes}


async def tell_owners_of_new_project(
    conn: asyncpg.Connection, project_id: uuid.UUID, name: str, now: datetime | None = None
) -> int:
    """R33: owners of the group's other projects who consented hear of a new project once per person; the message
    is a contact (R15), held to the next morning when the owner's cap for today is reached."""
    now, told = now or now_utc(), 0
    for owner in await store.consenting_owners(conn, project_id, await orgs.group_of(conn, project_id)):
        rules = await store.project_rules(conn, owner["project_id"])
        contacts = await store.contacts_between(conn, owner["id"], *local_day_span(now, rules.timezone))
        send_at = news_send_at(now, rules.timezone, contacts, rules.max_contacts_per_day)
        if await store.save_news(conn, project_id, owner["phone_hash"] or owner["id"].bytes, owner["id"], send_at):
            told += 1
            data = {"customer_id": str(owner["id"]), "new_project_id": str(project_id), "new_project_name": name}
            await add_event(conn, topics.OWNER_NEWS, data | {"send_at": send_at}, project_id=str(owner["project_id"]))
    log("owners_told_of_new_project", project_id=str(project_id), owners=told)
    return told
