"""Payments use cases for a sale after its subscription: payments against the schedule, the mortgage
appointment (R30), overdue notices (R28), cancellation (退订) and the sale's ledger (R35)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from services.payments import store
from services.payments.domain import PAYMENT_KINDS, Payment, Refused, is_overdue
from services.payments.use_cases.deposits import refund_in_transaction
from shared.kernel.clock import now_utc
from shared.kernel.defaults import DEFAULTS
from shared.kernel.errors import found
from shared.messaging import topics
from shared.messaging.outbox import add_event
from shared.messaging.topics import Topic

MayWorkOn = Callable[[str], None]
_RECEIVED = ("deposit_verified", "deposit_refunded")  # with payment_*: what the buyer has paid, net


async def cancel_sale(
    conn: asyncpg.Connection,
    sale_id: uuid.UUID,
    hold_id: uuid.UUID | None,
    unit_id: uuid.UUID,
    customer_id: uuid.UUID,
    reason: str,
) -> int:
    """退订 (sale-cancelled): the sale is closed, its schedule cancelled, its live deposits refunded; once."""
    if not await store.record_cancellation(conn, sale_id, hold_id, reason):
        return 0
    deposits = await store.live_deposits_of_sale(conn, hold_id, unit_id, customer_id)
    for dep in deposits:
        await refund_in_transaction(conn, dep, f"sale_cancelled: {reason}", None)
    return len(deposits)


async def sale_of(conn: asyncpg.Connection, sale_id: uuid.UUID) -> asyncpg.Record:
    """The sale as payments knows it from its subscription."""
    return found(await store.sale(conn, sale_id), "no such sale (yet): payments learns of a sale from its subscription")


async def find_sale(conn: asyncpg.Connection, sale_id: uuid.UUID, may_work_on: MayWorkOn) -> asyncpg.Record:
    """The sale, once its project is checked."""
    sale = await sale_of(conn, sale_id)
    may_work_on(str(sale["project_id"]))
    return sale


async def record_payment(conn: asyncpg.Connection, sale_id: uuid.UUID, paid: Payment, actor: str) -> dict[str, Any]:
    """Down payment, instalment or balance: recorded, applied to the schedule, announced."""
    kind, amount = paid.kind, paid.amount
    if kind not in PAYMENT_KINDS:
        raise Refused(f"kind must be one of {', '.join(sorted(PAYMENT_KINDS))}", "invalid_kind")
    async with conn.transaction():
        sale = await sale_of(conn, sale_id)
        payment_id = uuid.uuid4()
        await store.insert_payment(conn, payment_id, sale_id, paid, actor)
        refs = {"sale_id": sale_id, "ref": paid.reference}
        await store.add_ledger_entry(conn, sale["project_id"], f"payment_{kind}", amount, actor, refs)
        await _sale_event(conn, topics.PAYMENT_RECEIVED, sale, payment_id=str(payment_id), kind=kind, amount=amount)
    return {"id": str(payment_id), "sale_id": str(sale_id), "kind": kind, "amount": str(amount)}


async def book_mortgage_appointment(
    conn: asyncpg.Connection, sale_id: uuid.UUID, at: datetime, place: str, documents: list[str], actor: str
) -> dict[str, Any]:
    """R30: the bank appointment; notifications reminds 7, 3 and 1 days before."""
    if at.tzinfo is None or at <= now_utc():
        raise Refused("the appointment is a future time with an offset", "invalid_time")
    if not place.strip() or not [d for d in documents if d.strip()]:
        raise Refused("the place and the documents to bring are required (R30)", "place_and_documents_required")
    async with conn.transaction():
        sale = await sale_of(conn, sale_id)
        appointment_id = uuid.uuid4()
        await store.insert_appointment(conn, appointment_id, sale_id, at, place, documents, actor)
        await _sale_event(
            conn,
            topics.MORTGAGE_APPOINTMENT_SCHEDULED,
            sale,
            appointment_id=str(appointment_id),
            at=at,
            place=place,
            documents=documents,
        )
    return {
        "id": str(appointment_id),
        "sale_id": str(sale_id),
        "at": at.isoformat(),
        "place": place,
        "documents": documents,
    }


async def report_overdue(conn: asyncpg.Connection, now: datetime | None = None) -> int:
    """R28: a due date passed in the project's time zone without full payment → payment-overdue, once."""
    now = now or now_utc()
    reported = 0
    async with conn.transaction():
        for row in await store.unpaid_lines_due_by(conn, now.date(), DEFAULTS.timezone):
            if is_overdue(row["due_date"], row["paid"], row["amount"], now.astimezone(ZoneInfo(row["tz"])).date()):
                await store.mark_overdue_reported(conn, row["id"])
                await _sale_event(
                    conn,
                    topics.PAYMENT_OVERDUE,
                    row,
                    amount=row["amount"] - row["paid"],
                    due_date=row["due_date"],
                    kind=row["kind"],
                )
                reported += 1
    return reported


async def ledger(conn: asyncpg.Connection, sale_id: uuid.UUID) -> tuple[uuid.UUID, dict[str, Any]]:
    """R35: the sale's money movements (its deposit's included) and totals reconciled from them."""
    sale = await sale_of(conn, sale_id)
    rows = await store.ledger_entries(conn, sale_id, sale["hold_id"])
    received = sum(
        (r["amount"] for r in rows if r["kind"] in _RECEIVED or r["kind"].startswith("payment_")), Decimal("0.00")
    )
    entries = [
        {"at": r["at"].isoformat(), "kind": r["kind"], "amount": str(r["amount"]), "actor": r["actor"], "ref": r["ref"]}
        for r in rows
    ]
    return sale["project_id"], {
        "sale_id": str(sale_id),
        "price": str(sale["price"]),
        "entries": entries,
        "received": str(received),
        "outstanding": str(sale["price"] - received),
    }


async def _sale_event(conn: asyncpg.Connection, topic: Topic, sale: asyncpg.Record, **fields: Any) -> None:
    """A sale's event: its ids first, then the step's own fields."""
    ids = {name: str(sale[name]) for name in ("sale_id", "unit_id", "customer_id")}
    await add_event(conn, topic, {**ids, **fields}, project_id=str(sale["project_id"]))
