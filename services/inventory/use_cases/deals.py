"""Use cases added by v1.1 around the deal: quotes kept for the subscription (R21), and the sale cancelled (退订)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import asyncpg

from services.inventory import store
from services.inventory.domain import DomainError, ProjectSettings, QuoteRequest, UnitStatus, check_cancellation
from services.inventory.use_cases.sales import publish_sale_event, quote_unit
from shared.kernel.clock import now_utc
from shared.kernel.errors import NotFound, refusal
from shared.messaging import topics

QUOTE_DAYS = 7  # contract v1.1: a quote is valid 7 days


UnknownQuote = refusal(
    "UnknownQuote", "unknown_quote", "R21: a subscription names a quote inventory never gave, or one expired."
)
QuoteOutdated = refusal(
    "QuoteOutdated", "quote_outdated", "Issue 24: the unit was repriced (调价) after the quote: quote it again."
)


async def make_quote(
    conn: asyncpg.Connection, unit_row: asyncpg.Record, settings: ProjectSettings, req: QuoteRequest, made_by: str
) -> dict[str, Any]:
    """R20, R21: the full cost and plans of a unit, kept as `quote_id` for a week so the agreed price holds."""
    body = quote_unit(unit_row, settings, req)
    quote_id = uuid.uuid4()
    saved = await store.save_quote(conn, quote_id, unit_row, body["price"], body, made_by, QUOTE_DAYS)
    return {"quote_id": str(quote_id), "expires_at": saved["expires_at"].isoformat(), **body}


async def quoted_price(conn: asyncpg.Connection, quote_id: uuid.UUID | None, unit_id: uuid.UUID) -> Any:
    """R21: the price of a live quote for this unit (None without a quote); an unknown or expired one is refused,
    and so is one made before the unit's list price was adjusted (issue 24: 422 `quote_outdated`)."""
    if quote_id is None:
        return None
    row = await store.live_quote(conn, quote_id, unit_id)
    if row is None:
        raise UnknownQuote("no live quote with this id for this sale's unit (quotes last 7 days)")
    moved = Decimal(row["quoted_list_price"]) != row["list_price"]
    if moved or await store.repriced_since(conn, unit_id, row["made_at"]):
        raise QuoteOutdated("the unit's list price was adjusted after this quote: make a new one (R21)")
    return row["price"]


async def cancel_sale(conn: asyncpg.Connection, sale_id: uuid.UUID, reason: str, actor: str) -> dict[str, Any]:
    """退订: a reserved or subscribed sale ends, the unit is available again, payments refunds on sale-cancelled."""
    async with conn.transaction():
        sale_row = await store.sale(conn, sale_id, lock=True)
        if sale_row is None:
            raise NotFound("no such sale")
        if sale_row["closed_at"] is not None:
            raise DomainError(f"the sale is already {sale_row['status']}", "invalid_transition")
        check_cancellation(UnitStatus(sale_row["status"]))
        await store.set_unit_status(
            conn,
            sale_row["unit_id"],
            sale_row["status"],
            "available",
            reason="sale_cancelled",
            actor=actor,
            ref=reason,
            clear_hold=True,
            clear_sale=True,
        )
        at = now_utc()
        await store.update_sale(
            conn, sale_id, "cancelled", closed_at=at, cancellation={"reason": reason, "by": actor, "at": at.isoformat()}
        )
        await publish_sale_event(
            conn, topics.SALE_CANCELLED, sale_row, {"reason": reason, "hold_id": str(sale_row["hold_id"])}
        )
    return {"sale_id": str(sale_id), "status": "cancelled", "unit_status": "available", "reason": reason}
