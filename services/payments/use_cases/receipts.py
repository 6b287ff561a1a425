"""Payments use cases for receipts (R26, issue 24): a deposit's or a payment's receipt as JSON, and printed as a PDF
(A5 landscape, the form of a 收据); every print is counted, and each after the first says 副本. Staff of the
project see any receipt; a consultant only their own customers' (R8: a colleague's → 404)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.payments import paper, store
from services.payments.domain import amount_in_words, is_copy, receipt_lines
from services.payments.domain.receipts import footer
from shared.http.auth import Principal
from shared.kernel.errors import Conflict
from shared.trust.ownership import in_project, require_own_customer
from shared.trust.pii import Vault

Printed = tuple[str, bytes]  # (receipt number, the PDF)


async def deposit_receipt(
    conn: asyncpg.Connection, deposit_id: uuid.UUID, who: Principal, vault: Vault
) -> dict[str, Any]:
    """R26: the deposit's receipt once it was counted twice (R23): unit, amount in figures and in capital numerals,
    method, source of funds, cheque number or note serials, the two verifiers, and how often it was printed."""
    row = await _visible(conn, await store.deposit_receipt(conn, deposit_id), "deposit", who)
    if row["receipt_no"] is None:
        raise Conflict("the receipt follows the second count (R23)", "not_verified")
    view = _common(row, vault, "deposit", await store.prints_of(conn, row["receipt_no"]))
    verified = {
        "issued_at": row["verified_at"].isoformat(),
        "verified_by": [row["first_verifier"], row["second_verifier"]],
    }
    return view | verified | {"deposit_id": str(row["id"])}


async def payment_receipt(
    conn: asyncpg.Connection, payment_id: uuid.UUID, who: Principal, vault: Vault
) -> dict[str, Any]:
    """R26: a payment's receipt (down payment, instalment, balance), numbered in the project's series with the
    deposits'; the person who received the money is its verifier."""
    row = await _visible(conn, await store.payment_receipt(conn, payment_id), "payment", who)
    view = _common(row, vault, row["kind"], await store.prints_of(conn, row["receipt_no"]))
    received = {"issued_at": row["at"].isoformat(), "verified_by": [row["received_by"]]}
    return view | received | {"payment_id": str(row["id"]), "sale_id": str(row["sale_id"])}


async def print_deposit_receipt(
    conn: asyncpg.Connection, deposit_id: uuid.UUID, who: Principal, vault: Vault
) -> Printed:
    """The deposit's receipt printed: counted, and a copy (副本) after the first print."""
    return await _print(conn, await deposit_receipt(conn, deposit_id, who, vault), who)


async def print_payment_receipt(
    conn: asyncpg.Connection, payment_id: uuid.UUID, who: Principal, vault: Vault
) -> Printed:
    """The payment's receipt printed: counted, and a copy (副本) after the first print."""
    return await _print(conn, await payment_receipt(conn, payment_id, who, vault), who)


async def _visible(conn: asyncpg.Connection, row: asyncpg.Record | None, what: str, who: Principal) -> asyncpg.Record:
    """The row within the caller's projects, and for a consultant only of their own customer."""
    row = in_project(row, what, who.require_project)
    await require_own_customer(conn, who, row["customer_id"])
    return row


def _common(row: asyncpg.Record, vault: Vault, kind: str, prints: int) -> dict[str, Any]:
    """What both receipts show, from a deposit's or a payment's row."""
    body = {name: row[name] for name in ("receipt_no", "unit_number", "currency", "method")}
    body |= {
        "kind": kind,
        "project": {"id": str(row["project_id"]), "code": row["project_code"], "name": row["project_name"]},
        "amount": str(row["amount"]),
        "amount_in_words": amount_in_words(row["amount"], row["currency"]),
        "source_of_funds": row["source_of_funds"] or "",
        "prints": prints,
    }
    optional = {
        "cny_equivalent": str(row["cny_equivalent"]) if row["cny_equivalent"] is not None else None,
        "cheque_no": row["cheque_no"] or None,
        "note_serials": list(row["note_serials"]) or None,
        "payer": _payer(row, vault),
    }
    return body | {name: value for name, value in optional.items() if value}


def _payer(row: asyncpg.Record, vault: Vault) -> dict[str, Any] | None:
    """R29: who paid for the buyer, with their statement (sealed at rest, R18; old deposits kept it plain)."""
    if row["payer_enc"] is not None:
        return vault.decrypt_json(row["payer_enc"])
    plain = row.get("payer")
    return dict(plain) if plain else None


async def _print(conn: asyncpg.Connection, receipt: dict[str, Any], who: Principal) -> Printed:
    """Count the print (after making sure it can be drawn: a missing font is 503, and nothing is counted), then
    draw it: the first print is the original, every later one a copy."""
    paper.font_file()
    receipt["prints"] = await store.record_print(conn, receipt["receipt_no"], who.sub)
    timezone = await store.timezone_of(conn, uuid.UUID(receipt["project"]["id"]))
    lines = receipt_lines(receipt, timezone)
    pdf = await paper.receipt_pdf(receipt["receipt_no"], lines, footer(receipt), is_copy(receipt["prints"]))
    return receipt["receipt_no"], pdf
