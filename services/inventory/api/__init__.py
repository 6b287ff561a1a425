"""HTTP API of inventory (sales control): pydantic in, use case, pydantic out."""

from fastapi import APIRouter

from services.inventory.api import board, designees, holds, openings, prices, projects, sales, units

router = APIRouter()
_PARTS = (projects.router, projects.units, prices.router, units.router, holds.router, sales.router, board.router)
for _part in (*_PARTS, openings.router, designees.router):
    router.include_router(_part)
