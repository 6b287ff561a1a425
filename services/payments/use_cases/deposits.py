"""Payments use cases for deposits: taken on a current hold, counted twice (the receipt: `receipts`), banked,
refunded (R22–R26, R35). Each loads, asks the domain, writes rows and outbox events in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from services.payments import store
from services.payments.domain import (
    DepositRequest,
    NotAuthorised,
    Refused,
    banking_due,
    check_bankable,
    check_deposit,
    check_refundable,
    may_take_money,
    receipt_number,
    verify,
)
from shared.http.auth import Principal
from shared.kernel.clock import now_utc
from shared.kernel.defaults import DEFAULTS
from shared.kernel.errors import Conflict, found
from shared.messaging import topics
from shared.messaging.outbox import add_event
from shared.messaging.topics import Topic
from shared.trust.ownership import in_project
from shared.trust.pii import Vault

MayWorkOn = Callable[[str], None]  # raises when the caller does not work on the project


@dataclass(frozen=True)
class TakeDeposit:
    """A deposit taken on a hold: the hold, its unit and buyer as the cashier names them, and the money."""

    hold_id: uuid.UUID
    unit_id: uuid.UUID
    customer_id: uuid.UUID
    request: DepositRequest


async def take_deposit(conn: asyncpg.Connection, cmd: TakeDeposit, who: Principal, vault: Vault) -> dict[str, Any]:
    """R22–R26: the hold is checked again, then the deposit is recorded pending two counts (one live per hold)."""
    req, taken_by = cmd.request, who.sub
    async with conn.transaction():
        hold = await _current_hold(conn, cmd, who)
        await _check_room_for(conn, hold, req)
        deposit_id = uuid.uuid4()
        payer = None if req.payer is None else vault.encrypt_json(req.payer.__dict__)  # R18: sealed at rest
        try:
            await store.insert_deposit(conn, deposit_id, hold, cmd.customer_id, req, payer, taken_by)
        except asyncpg.UniqueViolationError:  # a concurrent deposit on the same hold won the race
            raise Conflict("this hold already carries a live deposit", "deposit_exists") from None
        refs = {"deposit_id": deposit_id, "hold_id": cmd.hold_id, "ref": req.reference}
        await store.add_ledger_entry(conn, hold["project_id"], "deposit_taken", req.amount, taken_by, refs)
    return {"id": str(deposit_id), "status": "pending_verification", "amount": str(req.amount)}


async def _current_hold(conn: asyncpg.Connection, cmd: TakeDeposit, who: Principal) -> asyncpg.Record:
    """R22: the hold is live, unexpired, for this unit and customer; locked against a concurrent release. R23: the
    person takes deposits in its project."""
    hold = await store.hold_locked(conn, cmd.hold_id)
    if hold is not None:
        who.require_project(str(hold["project_id"]))
        await require_money_taker(conn, who, hold["project_id"])
    current = hold is not None and hold["live"] and hold["expires_at"] > now_utc()
    if hold is None or not current or (hold["unit_id"], hold["customer_id"]) != (cmd.unit_id, cmd.customer_id):
        raise Conflict("the hold is not current for this unit and customer (R22)", "hold_not_current")
    return hold


async def _check_room_for(conn: asyncpg.Connection, hold: asyncpg.Record, req: DepositRequest) -> None:
    """R25's cash limit across the hold's deposits, and one live deposit per hold."""
    rules = await store.project_rules(conn, hold["project_id"])
    limit = rules["cash_limit"] if rules else DEFAULTS.cash_limit
    check_deposit(req, limit, await store.cash_on_hold(conn, hold["hold_id"]))
    if await store.live_deposit_on(conn, hold["hold_id"]):
        raise Conflict("this hold already carries a live deposit", "deposit_exists")


async def require_money_taker(conn: asyncpg.Connection, who: Principal, project_id: uuid.UUID) -> None:
    """R23: 403 `wrong_role` unless `who` is finance, the manager, or a designee of the project the manager gave
    `take_deposits` (checked after the project: another project's staff hear 403 `wrong_project` first)."""
    if may_take_money(who.acting_role, ()):
        return
    if not may_take_money(who.acting_role, tuple(await store.powers_of(conn, project_id, who.sub))):
        raise NotAuthorised(f"role {who.role} may not take or count deposits, and the manager has not named you (R23)")


async def verify_deposit(conn: asyncpg.Connection, deposit_id: uuid.UUID, who: Principal) -> dict[str, Any]:
    """R23: the second different counter makes it count; a gap-free receipt number; deposit-verified."""
    head, verifier = await find_deposit(conn, deposit_id, who.require_project), who.sub
    await require_money_taker(conn, who, head["project_id"])  # R23: counted by authorised people
    deposit_id = head["id"]
    async with conn.transaction():
        dep = await _deposit_locked(conn, deposit_id)
        status, first, verified = verify(dep["status"], dep["first_verifier"], verifier)
        if not verified:
            await store.set_first_verifier(conn, deposit_id, verifier)
            return {"id": str(deposit_id), "status": status, "verified_by": [first]}
        hold = await store.hold(conn, dep["hold_id"])
        if hold is None or not hold["live"]:
            raise Conflict("the hold lapsed before the deposit was counted twice (R22)", "hold_not_current")
        receipt = await _count_second_time(conn, dep, verifier)
        await _deposit_event(conn, topics.DEPOSIT_VERIFIED, dep, receipt_no=receipt, verified_by=[first, verifier])
    return {"id": str(deposit_id), "status": "verified", "verified_by": [first, verifier], "receipt_no": receipt}


async def _count_second_time(conn: asyncpg.Connection, dep: asyncpg.Record, verifier: str) -> str:
    """The deposit counts: its receipt number, its banking deadline if cash (R24), its ledger row."""
    receipt = receipt_number(*await store.next_receipt_counter(conn, dep["project_id"]))
    rules = await store.project_rules(conn, dep["project_id"])
    now = now_utc()
    days = rules["cash_banking_days"] if rules else DEFAULTS.cash_banking_days
    due = banking_due(now, days) if dep["method"] == "cash" else None
    await store.mark_verified(conn, dep["id"], verifier, now, receipt, due)
    await _deposit_ledger(conn, dep, "deposit_verified", dep["amount"], verifier, receipt)
    return receipt


async def find_deposit(conn: asyncpg.Connection, deposit_id: uuid.UUID, may_work_on: MayWorkOn) -> asyncpg.Record:
    """The deposit's project is checked before anything is said about the deposit itself."""
    return in_project(await store.deposit_head(conn, deposit_id), "deposit", may_work_on)


async def list_deposits(
    conn: asyncpg.Connection, project_id: uuid.UUID, overdue_only: bool, after: tuple[Any, Any] | None, limit: int
) -> list[tuple[tuple[str, str], dict[str, Any]]]:
    """A page of a project's deposits, oldest first; only cash not banked in time when `overdue_only` (R24). Each
    with the key the next page starts after, and the deposit as the API shows it."""
    rows = await store.deposits_page(conn, project_id, overdue_only, after, limit)
    return [((row["taken_at"].isoformat(), str(row["id"])), _listed(row)) for row in rows]


def _listed(row: asyncpg.Record) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, (uuid.UUID, Decimal)) else v) for k, v in row.items() if k != "taken_at"}


async def bank_cash(
    conn: asyncpg.Connection, deposit_id: uuid.UUID, banking: tuple[str, list[str]], who: Principal
) -> dict[str, Any]:
    """R24: verified cash goes to the bank (its reference) with two escorts, one of whom records it."""
    (bank_ref, escorts), actor = banking, who.sub
    deposit_id = (await find_deposit(conn, deposit_id, who.require_project))["id"]
    async with conn.transaction():
        dep = await _deposit_locked(conn, deposit_id)
        check_bankable(dep["status"], dep["method"], dep["banked_at"] is not None, escorts, actor)
        await store.mark_banked(conn, deposit_id, bank_ref, escorts)
        await _deposit_ledger(conn, dep, "cash_banked", dep["amount"], actor, bank_ref)
    return {"id": str(deposit_id), "banked": True, "bank_ref": bank_ref, "escorts": escorts}


async def mark_banking_overdue(conn: asyncpg.Connection, now: datetime | None = None) -> int:
    """R24: cash not banked by its deadline is flagged (listed for the project) and told once: `cash-not-banked`,
    which notifications puts in the app of the project's finance staff and managers, naming deposit and receipt."""
    async with conn.transaction():
        flagged = await store.mark_banking_overdue(conn, now or now_utc())
        for dep in flagged:
            told = {"receipt_no": dep["receipt_no"], "banking_due_at": dep["banking_due_at"]}
            await _deposit_event(conn, topics.CASH_NOT_BANKED, dep, **told)
    return len(flagged)


async def next_banking_due(conn: asyncpg.Connection) -> datetime | None:
    """When the banking watch next has cash to report (R24)."""
    return await store.next_banking_due(conn)


async def refund(conn: asyncpg.Connection, deposit_id: uuid.UUID, reason: str, who: Principal) -> dict[str, Any]:
    """The manager refunds a deposit whose sale is not subscribed; inventory frees the unit on deposit-refunded."""
    deposit_id, actor = (await find_deposit(conn, deposit_id, who.require_project))["id"], who.sub
    if not reason.strip():
        raise Refused("a refund gives its reason", "reason_required")
    async with conn.transaction():
        dep = await _deposit_locked(conn, deposit_id)
        check_refundable(dep["status"], await store.sale_subscribed(conn, dep["hold_id"]))
        await refund_in_transaction(conn, dep, reason, actor)
    return {"id": str(deposit_id), "status": "refunded"}


async def refund_in_transaction(conn: asyncpg.Connection, dep: asyncpg.Record, reason: str, actor: str | None) -> None:
    """The one refund path: status, ledger (R35) and deposit-refunded, in the caller's transaction."""
    await store.mark_refunded(conn, dep["id"], reason)
    await _deposit_ledger(conn, dep, "deposit_refunded", -dep["amount"], actor, reason)
    await _deposit_event(conn, topics.DEPOSIT_REFUNDED, dep, reason=reason)


async def seal_payers(conn: asyncpg.Connection, vault: Vault, limit: int = 200) -> int:
    """R18: third-party payers written in plain before migration 002 are sealed, a batch at a time."""
    rows = await store.plain_payers(conn, limit)
    for row in rows:
        await store.seal_payer(conn, row["id"], vault.encrypt_json(row["payer"]))
    return len(rows)


async def _deposit_locked(conn: asyncpg.Connection, deposit_id: uuid.UUID) -> asyncpg.Record:
    return found(await store.deposit_locked(conn, deposit_id), "no such deposit")


async def _deposit_ledger(
    conn: asyncpg.Connection, dep: asyncpg.Record, kind: str, amount: Decimal, actor: str | None, ref: str | None
) -> None:
    """R35: one append-only ledger row for a movement of this deposit."""
    refs = {"deposit_id": dep["id"], "hold_id": dep["hold_id"], "ref": ref}
    await store.add_ledger_entry(conn, dep["project_id"], kind, amount, actor, refs)


async def _deposit_event(conn: asyncpg.Connection, topic: Topic, dep: asyncpg.Record, **fields: Any) -> None:
    """A deposit's event: its ids and amount, then the step's own fields."""
    ids = {
        name: str(dep[column])
        for name, column in (
            ("deposit_id", "id"),
            ("hold_id", "hold_id"),
            ("unit_id", "unit_id"),
            ("customer_id", "customer_id"),
        )
    }
    await add_event(conn, topic, {**ids, "amount": dep["amount"], **fields}, project_id=str(dep["project_id"]))
