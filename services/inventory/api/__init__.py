"""HTTP API of inventory (sales control): pydantic in, use case, pydantic out."""

from fastapi import APIRouter

from services.inventory.api import board, fair_openings, holds, openings, projects, sales, units

router = APIRouter()
for _part in (projects.router, projects.units, units.router, holds.router, sales.router, board.router, openings.router):
    router.include_router(_part)
router.include_router(fair_openings.router)
