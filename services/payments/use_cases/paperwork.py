"""Payments use cases for papers: the contract copy signed for by the buyer or their attorney (R29)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.payments import store
from services.payments.domain import check_collection
from services.payments.use_cases.sales import find_sale
from shared.http.auth import Principal
from shared.kernel.errors import Conflict


async def collect_contract(
    conn: asyncpg.Connection, sale_id: uuid.UUID, collection: tuple[str, bool], who: Principal
) -> dict[str, Any]:
    """R29: the buyer (or their attorney) signs for the contract copy, once the contract is signed; recorded once
    with who handed it over."""
    collected_by, signed = collection
    sale_id = (await find_sale(conn, sale_id, who.require_project))["sale_id"]
    async with conn.transaction():
        signed_contract = await store.contract(conn, sale_id)
        check_collection(
            collected_by, signed, signed_contract is not None, await store.collection(conn, sale_id) is not None
        )
        at = await store.record_collection(conn, sale_id, collected_by, who.sub)
        if at is None:
            raise Conflict("the contract copy was collected already", "already_collected")
    assert signed_contract is not None  # check_collection: signed
    return {
        "sale_id": str(sale_id),
        "contract_no": signed_contract["contract_no"],
        "collected_by": collected_by,
        "signed": True,
        "collected_at": at.isoformat(),
        "recorded_by": who.sub,
    }
