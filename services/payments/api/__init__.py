"""HTTP API of payments (finance): pydantic in, use case, pydantic out. `deposits` (taken, counted, receipted,
banked, refunded), `sales` (payments and their receipts, the contract copy signed for, the mortgage appointment,
the ledger)."""

from fastapi import APIRouter

from services.payments.api import deposits, sales

router = APIRouter()
for _part in (deposits.router, sales.router):
    router.include_router(_part)
