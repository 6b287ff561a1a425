"""Payments use cases: deposits, verification, receipts, banking, refunds, schedules and payments."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import orjson

from services.payments.domain import (
    PAYMENT_KINDS, Conflict, DepositRequest, DomainError, Refused, amount_in_words, banking_due, check_bankable,
    check_deposit, check_refundable, is_overdue, receipt_number, verify,
)
from shared import catalogue as topics
from shared.outbox import add_event
from shared.pii import Vault

PRODUCER = "payments"


class NotFound(DomainError):
    code = "not_found"


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


async def _ledger(conn: asyncpg.Connection, project_id: uuid.UUID, kind: str, amount: Decimal, actor: str | None,
                  *, sale_id=None, deposit_id=None, hold_id=None, ref: str | None = None) -> None:
    """R35: one append-only row per money movement."""
    await conn.execute(
        "INSERT INTO ledger (project_id, sale_id, deposit_id, hold_id, kind, amount, actor, ref)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8)", project_id, sale_id, deposit_id, hold_id, kind, amount, actor, ref)


async def _project_rules(conn: asyncpg.Connection, project_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT code, cash_limit, cash_banking_days, timezone FROM projects WHERE project_id = $1",
                               project_id)


async def take_deposit(conn: asyncpg.Connection, hold_id: uuid.UUID, unit_id: uuid.UUID, customer_id: uuid.UUID,
                       req: DepositRequest, taken_by: str, may_work_on, vault: Vault) -> dict[str, Any]:
    """R22–R26: the hold is checked again, then the deposit is recorded pending two counts (one live per hold)."""
    async with conn.transaction():
        hold = await _current_hold(conn, hold_id, unit_id, customer_id, may_work_on)
        rules = await _project_rules(conn, hold["project_id"])
        check_deposit(req, rules["cash_limit"] if rules else Decimal("10000.00"), await _cash_on_hold(conn, hold_id))
        if await conn.fetchval("SELECT 1 FROM deposits WHERE hold_id = $1 AND status IN"
                               " ('pending_verification', 'verified')", hold_id):
            raise Conflict("this hold already carries a live deposit", "deposit_exists")
        deposit_id = uuid.uuid4()
        try:
            await _insert_deposit(conn, deposit_id, hold, unit_id, customer_id, req, taken_by, vault)
        except asyncpg.UniqueViolationError:  # a concurrent deposit on the same hold won the race
            raise Conflict("this hold already carries a live deposit", "deposit_exists") from None
        await _ledger(conn, hold["project_id"], "deposit_taken", req.amount, taken_by, deposit_id=deposit_id,
                      hold_id=hold_id, ref=req.reference)
    return {"id": str(deposit_id), "status": "pending_verification", "amount": str(req.amount)}


async def _current_hold(conn: asyncpg.Connection, hold_id: uuid.UUID, unit_id: uuid.UUID, customer_id: uuid.UUID,
                        may_work_on) -> asyncpg.Record:
    """R22: the hold is live, unexpired, for this unit and customer; locked against a concurrent release."""
    hold = await conn.fetchrow("SELECT * FROM holds WHERE hold_id = $1 FOR SHARE", hold_id)
    if hold is not None:
        may_work_on(str(hold["project_id"]))
    if (hold is None or not hold["live"] or hold["unit_id"] != unit_id or hold["customer_id"] != customer_id
            or hold["expires_at"] <= now_utc()):
        raise Conflict("the hold is not current for this unit and customer (R22)", "hold_not_current")
    return hold


async def _cash_on_hold(conn: asyncpg.Connection, hold_id: uuid.UUID) -> Decimal:
    """R25: cash already taken on this hold and not refunded."""
    return await conn.fetchval("SELECT coalesce(sum(amount), 0) FROM deposits WHERE hold_id = $1 AND method = 'cash'"
                               " AND status <> 'refunded'", hold_id)


async def _insert_deposit(conn: asyncpg.Connection, deposit_id: uuid.UUID, hold: asyncpg.Record, unit_id: uuid.UUID,
                          customer_id: uuid.UUID, req: DepositRequest, taken_by: str, vault: Vault) -> None:
    payer = None if req.payer is None else vault.encrypt_json(req.payer.__dict__)  # R18: sealed at rest
    await conn.execute(
        "INSERT INTO deposits (id, project_id, unit_id, hold_id, customer_id, amount, currency, method,"
        " source_of_funds, reference, cheque_no, note_serials, payer_enc, taken_by)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)", deposit_id, hold["project_id"], unit_id,
        hold["hold_id"], customer_id, req.amount, req.currency, req.method, req.source_of_funds, req.reference,
        req.cheque_no, list(req.note_serials), payer, taken_by)


async def verify_deposit(conn: asyncpg.Connection, deposit_id: uuid.UUID, verifier: str) -> dict[str, Any]:
    """R23: the second different counter makes it count; a gap-free receipt number; deposit-verified."""
    async with conn.transaction():
        dep = await conn.fetchrow("SELECT * FROM deposits WHERE id = $1 FOR UPDATE", deposit_id)
        if dep is None:
            raise NotFound("no such deposit")
        status, first, verified = verify(dep["status"], dep["first_verifier"], verifier)
        if not verified:
            await conn.execute("UPDATE deposits SET first_verifier = $2 WHERE id = $1", deposit_id, first)
            return {"id": str(deposit_id), "status": status, "verified_by": [first]}
        hold = await conn.fetchrow("SELECT * FROM holds WHERE hold_id = $1", dep["hold_id"])
        if hold is None or not hold["live"]:
            raise Conflict("the hold lapsed before the deposit was counted twice (R22)", "hold_not_current")
        receipt = await _next_receipt(conn, dep["project_id"])
        rules = await _project_rules(conn, dep["project_id"])
        now = now_utc()
        due = banking_due(now, rules["cash_banking_days"] if rules else 2) if dep["method"] == "cash" else None
        await conn.execute(
            "UPDATE deposits SET status = 'verified', second_verifier = $2, verified_at = $3, receipt_no = $4,"
            " banking_due_at = $5 WHERE id = $1", deposit_id, verifier, now, receipt, due)
        await _ledger(conn, dep["project_id"], "deposit_verified", dep["amount"], verifier, deposit_id=deposit_id,
                      hold_id=dep["hold_id"], ref=receipt)
        await add_event(conn, topics.DEPOSIT_VERIFIED, {
            "deposit_id": str(deposit_id), "hold_id": str(dep["hold_id"]), "unit_id": str(dep["unit_id"]),
            "customer_id": str(dep["customer_id"]), "amount": dep["amount"], "receipt_no": receipt,
            "verified_by": [first, verifier]}, producer=PRODUCER, project_id=str(dep["project_id"]))
    return {"id": str(deposit_id), "status": "verified", "verified_by": [first, verifier], "receipt_no": receipt}


async def _next_receipt(conn: asyncpg.Connection, project_id: uuid.UUID) -> str:
    """No gaps: the counter moves in the same transaction that issues the receipt (a rollback returns it)."""
    code = await conn.fetchval("SELECT code FROM projects WHERE project_id = $1", project_id)
    row = await conn.fetchrow(
        "INSERT INTO receipt_counters (project_id, prefix, last) VALUES ($1, $2, 1)"
        " ON CONFLICT (project_id) DO UPDATE SET last = receipt_counters.last + 1 RETURNING prefix, last",
        project_id, code or str(project_id)[:8].upper())
    return receipt_number(row["prefix"], row["last"])


async def seal_payers(conn: asyncpg.Connection, vault: Vault, limit: int = 200) -> int:
    """R18: third-party payers written in plain before migration 002 are sealed, a batch at a time."""
    rows = await conn.fetch("SELECT id, payer FROM deposits WHERE payer IS NOT NULL LIMIT $1 FOR UPDATE SKIP LOCKED",
                            limit)
    for row in rows:
        await conn.execute("UPDATE deposits SET payer_enc = $2, payer = NULL WHERE id = $1", row["id"],
                           vault.encrypt_json(orjson.loads(row["payer"]) if isinstance(row["payer"], str)
                                              else row["payer"]))
    return len(rows)


async def receipt(conn: asyncpg.Connection, deposit_id: uuid.UUID) -> tuple[uuid.UUID, dict[str, Any]]:
    """R26: unit, amount in figures and in capital numerals, method, source of funds, cheque no., serials."""
    dep = await conn.fetchrow("SELECT d.*, h.unit_number FROM deposits d LEFT JOIN holds h ON h.hold_id = d.hold_id"
                              " WHERE d.id = $1", deposit_id)
    if dep is None:
        raise NotFound("no such deposit")
    if dep["receipt_no"] is None:
        raise Conflict("the receipt follows the second count (R23)", "not_verified")
    body = {"receipt_no": dep["receipt_no"], "unit_number": dep["unit_number"], "amount": str(dep["amount"]),
            "currency": dep["currency"], "amount_in_words": amount_in_words(dep["amount"]), "method": dep["method"],
            "source_of_funds": dep["source_of_funds"], "issued_at": dep["verified_at"].isoformat(),
            "verified_by": [dep["first_verifier"], dep["second_verifier"]]}
    if dep["cheque_no"]:
        body["cheque_no"] = dep["cheque_no"]
    if dep["note_serials"]:
        body["note_serials"] = list(dep["note_serials"])
    return dep["project_id"], body


async def bank_cash(conn: asyncpg.Connection, deposit_id: uuid.UUID, bank_ref: str, escorts: list[str],
                    actor: str) -> dict[str, Any]:
    """R24: verified cash goes to the bank with two escorts, one of whom records it."""
    async with conn.transaction():
        dep = await conn.fetchrow("SELECT * FROM deposits WHERE id = $1 FOR UPDATE", deposit_id)
        if dep is None:
            raise NotFound("no such deposit")
        check_bankable(dep["status"], dep["method"], dep["banked_at"] is not None, escorts, actor)
        await conn.execute("UPDATE deposits SET banked_at = now(), bank_ref = $2, escorts = $3, banking_overdue = false"
                           " WHERE id = $1", deposit_id, bank_ref, escorts)
        await _ledger(conn, dep["project_id"], "cash_banked", dep["amount"], actor, deposit_id=deposit_id,
                      hold_id=dep["hold_id"], ref=bank_ref)
    return {"id": str(deposit_id), "banked": True, "bank_ref": bank_ref, "escorts": escorts}


async def refund(conn: asyncpg.Connection, deposit_id: uuid.UUID, reason: str, actor: str) -> dict[str, Any]:
    """The manager refunds a deposit whose sale is not subscribed; inventory frees the unit on deposit-refunded."""
    if not reason.strip():
        raise Refused("a refund gives its reason", "reason_required")
    async with conn.transaction():
        dep = await conn.fetchrow("SELECT * FROM deposits WHERE id = $1 FOR UPDATE", deposit_id)
        if dep is None:
            raise NotFound("no such deposit")
        check_refundable(dep["status"], await _sale_subscribed(conn, dep["hold_id"]))
        await _refund(conn, dep, reason, actor)
    return {"id": str(deposit_id), "status": "refunded"}


async def _sale_subscribed(conn: asyncpg.Connection, hold_id: uuid.UUID) -> bool:
    """A subscription was signed for this hold's sale and the sale was not cancelled."""
    return bool(await conn.fetchval(
        "SELECT 1 FROM sales s WHERE s.hold_id = $1 AND NOT EXISTS"
        " (SELECT 1 FROM cancelled_sales c WHERE c.sale_id = s.sale_id)", hold_id))


async def _refund(conn: asyncpg.Connection, dep: asyncpg.Record, reason: str, actor: str | None) -> None:
    """The one refund path: status, ledger (R35) and deposit-refunded, in the caller's transaction."""
    await conn.execute("UPDATE deposits SET status = 'refunded', refunded_at = now(), refund_reason = $2"
                       " WHERE id = $1", dep["id"], reason)
    await _ledger(conn, dep["project_id"], "deposit_refunded", -dep["amount"], actor, deposit_id=dep["id"],
                  hold_id=dep["hold_id"], ref=reason)
    await add_event(conn, topics.DEPOSIT_REFUNDED, {
        "deposit_id": str(dep["id"]), "hold_id": str(dep["hold_id"]), "unit_id": str(dep["unit_id"]),
        "customer_id": str(dep["customer_id"]), "amount": dep["amount"], "reason": reason},
        producer=PRODUCER, project_id=str(dep["project_id"]))


async def cancel_sale(conn: asyncpg.Connection, sale_id: uuid.UUID, hold_id: uuid.UUID | None, unit_id: uuid.UUID,
                      customer_id: uuid.UUID, reason: str) -> int:
    """退订 (sale-cancelled): the sale is closed, its schedule cancelled, its live deposits refunded; once."""
    first = await conn.fetchval("INSERT INTO cancelled_sales (sale_id, hold_id, reason) VALUES ($1, $2, $3)"
                                " ON CONFLICT DO NOTHING RETURNING sale_id", sale_id, hold_id, reason)
    if first is None:
        return 0
    await conn.execute("UPDATE schedule SET cancelled = true WHERE sale_id = $1", sale_id)
    deposits = await conn.fetch(
        "SELECT * FROM deposits WHERE status IN ('pending_verification', 'verified')"
        " AND (hold_id = $1 OR (unit_id = $2 AND customer_id = $3)) FOR UPDATE", hold_id, unit_id, customer_id)
    for dep in deposits:
        await _refund(conn, dep, f"sale_cancelled: {reason}", None)
    return len(deposits)


async def sale_of(conn: asyncpg.Connection, sale_id: uuid.UUID) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM sales WHERE sale_id = $1", sale_id)
    if row is None:
        raise NotFound("no such sale (yet): payments learns of a sale from its subscription")
    return row


async def record_payment(conn: asyncpg.Connection, sale_id: uuid.UUID, kind: str, amount: Decimal, method: str,
                         reference: str | None, actor: str) -> dict[str, Any]:
    """Down payment, instalment or balance: recorded, applied to the schedule, announced."""
    if kind not in PAYMENT_KINDS:
        raise Refused(f"kind must be one of {', '.join(sorted(PAYMENT_KINDS))}", "invalid_kind")
    async with conn.transaction():
        sale = await sale_of(conn, sale_id)
        payment_id = uuid.uuid4()
        await conn.execute("INSERT INTO payments (id, sale_id, kind, amount, method, reference, received_by)"
                           " VALUES ($1,$2,$3,$4,$5,$6,$7)", payment_id, sale_id, kind, amount, method, reference, actor)
        await conn.execute("UPDATE schedule SET paid = paid + $3 WHERE sale_id = $1 AND kind = $2", sale_id, kind, amount)
        await _ledger(conn, sale["project_id"], f"payment_{kind}", amount, actor, sale_id=sale_id, ref=reference)
        await add_event(conn, topics.PAYMENT_RECEIVED, {
            "payment_id": str(payment_id), "sale_id": str(sale_id), "unit_id": str(sale["unit_id"]), "kind": kind,
            "amount": amount, "customer_id": str(sale["customer_id"])}, producer=PRODUCER,
            project_id=str(sale["project_id"]))
    return {"id": str(payment_id), "sale_id": str(sale_id), "kind": kind, "amount": str(amount)}


async def book_mortgage_appointment(conn: asyncpg.Connection, sale_id: uuid.UUID, at: datetime, place: str,
                                    documents: list[str], actor: str) -> dict[str, Any]:
    """R30: the bank appointment; notifications reminds 7, 3 and 1 days before."""
    if at.tzinfo is None or at <= now_utc():
        raise Refused("the appointment is a future time with an offset", "invalid_time")
    if not place.strip() or not [d for d in documents if d.strip()]:
        raise Refused("the place and the documents to bring are required (R30)", "place_and_documents_required")
    async with conn.transaction():
        sale = await sale_of(conn, sale_id)
        appointment_id = uuid.uuid4()
        await conn.execute("INSERT INTO mortgage_appointments (id, sale_id, at, place, documents, booked_by)"
                           " VALUES ($1,$2,$3,$4,$5,$6)", appointment_id, sale_id, at, place, documents, actor)
        await add_event(conn, topics.MORTGAGE_APPOINTMENT_SCHEDULED, {
            "appointment_id": str(appointment_id), "sale_id": str(sale_id), "unit_id": str(sale["unit_id"]),
            "customer_id": str(sale["customer_id"]), "at": at, "place": place, "documents": documents},
            producer=PRODUCER, project_id=str(sale["project_id"]))
    return {"id": str(appointment_id), "sale_id": str(sale_id), "at": at.isoformat(), "place": place,
            "documents": documents}


async def report_overdue(conn: asyncpg.Connection, now: datetime | None = None) -> int:
    """R28: a due date passed in the project's time zone without full payment → payment-overdue, once."""
    now = now or now_utc()
    reported = 0
    async with conn.transaction():
        rows = await conn.fetch(
            "SELECT s.*, sa.unit_id, sa.customer_id, sa.project_id, coalesce(p.timezone, 'Asia/Shanghai') AS tz"
            " FROM schedule s JOIN sales sa ON sa.sale_id = s.sale_id LEFT JOIN projects p ON p.project_id = sa.project_id"
            " WHERE NOT s.overdue_reported AND NOT s.cancelled AND s.paid < s.amount AND s.due_date < $1::date + 1"
            " FOR UPDATE OF s SKIP LOCKED", now.date())
        for row in rows:
            if not is_overdue(row["due_date"], row["paid"], row["amount"], now.astimezone(ZoneInfo(row["tz"])).date()):
                continue
            await conn.execute("UPDATE schedule SET overdue_reported = true WHERE id = $1", row["id"])
            await add_event(conn, topics.PAYMENT_OVERDUE, {
                "sale_id": str(row["sale_id"]), "unit_id": str(row["unit_id"]), "customer_id": str(row["customer_id"]),
                "amount": row["amount"] - row["paid"], "due_date": row["due_date"], "kind": row["kind"]},
                producer=PRODUCER, project_id=str(row["project_id"]))
            reported += 1
    return reported


async def mark_banking_overdue(conn: asyncpg.Connection) -> int:
    """R24: cash not banked in time is flagged (and listed for the project)."""
    status = await conn.execute("UPDATE deposits SET banking_overdue = true WHERE method = 'cash' AND banked_at IS NULL"
                                " AND status = 'verified' AND banking_due_at < now() AND NOT banking_overdue")
    return int(status.split()[-1])


async def ledger(conn: asyncpg.Connection, sale_id: uuid.UUID) -> tuple[uuid.UUID, dict[str, Any]]:
    """R35: the sale's money movements (its deposit's included) and totals reconciled from them."""
    sale = await sale_of(conn, sale_id)
    rows = await conn.fetch("SELECT * FROM ledger WHERE sale_id = $1 OR (hold_id = $2 AND $2 IS NOT NULL) ORDER BY id",
                            sale_id, sale["hold_id"])
    received = sum((r["amount"] for r in rows if r["kind"] in ("deposit_verified", "deposit_refunded")
                    or r["kind"].startswith("payment_")), Decimal("0.00"))
    return sale["project_id"], {
        "sale_id": str(sale_id), "price": str(sale["price"]),
        "entries": [{"at": r["at"].isoformat(), "kind": r["kind"], "amount": str(r["amount"]), "actor": r["actor"],
                     "ref": r["ref"]} for r in rows],
        "received": str(received), "outstanding": str(sale["price"] - received)}
