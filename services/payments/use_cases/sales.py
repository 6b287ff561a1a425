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
from services.payments.domain import (
    Payment,
    amount_in_words,
    check_appointment,
    check_payment,
    cny_value,
    is_overdue,
    receipt_number,
)
from services.payments.use_cases.deposits import refund_in_transaction
from shared.http.auth import Principal
from shared.kernel.clock import now_utc
from shared.kernel.defaults import DEFAULTS
from shared.kernel.errors import found
from shared.messaging import topics
from shared.messaging.outbox import add_event
from shared.messaging.topics import Topic
from shared.trust.ownership import require_own_customer
from shared.trust.pii import Vault

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


async def record_payment(
    conn: asyncpg.Connection, sale_id: uuid.UUID, paid: Payment, who: Principal, vault: Vault
) -> dict[str, Any]:
    """Down payment, instalment or balance, taken by finance for a sale of their project, by the deposit's rules
    (R25 counting the sale's cash, R26, R29); numbered in the project's receipt series, applied to the schedule,
    kept in the ledger in yuan (R35) and announced with what is still outstanding (R31)."""
    sale_id, actor = (await find_sale(conn, sale_id, who.require_project))["sale_id"], who.sub
    async with conn.transaction():
        sale = found(await store.sale(conn, sale_id, lock=True), "no such sale")
        rules = await store.project_rules(conn, sale["project_id"])
        check_payment(paid, rules["cash_limit"] if rules else DEFAULTS.cash_limit, await store.cash_on_sale(conn, sale))
        payment_id, payer = uuid.uuid4(), None if paid.payer is None else vault.encrypt_json(paid.payer.__dict__)
        receipt_no = receipt_number(*await store.next_receipt_counter(conn, sale["project_id"]))
        await store.insert_payment(conn, sale, payment_id, paid, (receipt_no, actor, payer))
        refs = {"sale_id": sale_id, "ref": paid.reference or receipt_no}
        await store.add_ledger_entry(conn, sale["project_id"], f"payment_{paid.kind}", cny_value(paid), actor, refs)
        told = {"payment_id": str(payment_id), "kind": paid.kind, "amount": cny_value(paid), "receipt_no": receipt_no}
        outstanding = sale["price"] - await store.received_on_sale(conn, sale)
        await _sale_event(conn, topics.PAYMENT_RECEIVED, sale, **told, currency=paid.currency, outstanding=outstanding)
    return _payment_answer(payment_id, sale_id, paid, receipt_no)


def _payment_answer(payment_id: uuid.UUID, sale_id: uuid.UUID, paid: Payment, receipt_no: str) -> dict[str, Any]:
    """The payment as recorded: its id (for its receipt), kind, amount and currency, the receipt's number and
    words."""
    answer = {"id": str(payment_id), "sale_id": str(sale_id), "kind": paid.kind, "amount": str(paid.amount)}
    answer |= {"currency": paid.currency, "receipt_no": receipt_no}
    answer["amount_in_words"] = amount_in_words(paid.amount, paid.currency)
    if paid.cny_equivalent is not None:
        answer["cny_equivalent"] = str(paid.cny_equivalent)
    return answer


async def book_mortgage_appointment(
    conn: asyncpg.Connection, sale_id: uuid.UUID, booking: tuple[datetime, str, list[str]], who: Principal
) -> dict[str, Any]:
    """R30: the bank appointment (when, where, the documents to bring), booked by the buyer's consultant or the
    manager (R8: a colleague's buyer → 404); notifications reminds 7, 3 and 1 days before."""
    sale = await find_sale(conn, sale_id, who.require_project)
    await require_own_customer(conn, who, sale["customer_id"])
    (at, place, documents), actor, sale_id = booking, who.sub, sale["sale_id"]
    check_appointment(at, place, documents, now_utc())
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


async def ledger(conn: asyncpg.Connection, sale_id: uuid.UUID, who: Principal) -> dict[str, Any]:
    """R35: the sale's money movements (its deposit's included) and totals reconciled from them."""
    sale = await find_sale(conn, sale_id, who.require_project)
    rows = await store.ledger_entries(conn, sale_id, sale["hold_id"])
    received = sum(
        (r["amount"] for r in rows if r["kind"] in _RECEIVED or r["kind"].startswith("payment_")), Decimal("0.00")
    )
    entries = [
        {"at": r["at"].isoformat(), "kind": r["kind"], "amount": str(r["amount"]), "actor": r["actor"], "ref": r["ref"]}
        for r in rows
    ]
    return {
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
