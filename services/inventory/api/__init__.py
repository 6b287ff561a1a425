"""HTTP API of inventory (sales control): pydantic in, use case, pydantic out."""

from fastapi import APIRouter

from services.inventory.api import (
    board,
    designees,
    fair_openings,
    holds,
    openings,
    orgs,
    prices,
    projects,
    sales,
    units,
)

router = APIRouter()
_PARTS = (projects.router, projects.units, orgs.router, prices.router, units.router, holds.router, sales.router)
for _part in (*_PARTS, board.router, openings.router, designees.router):
    router.include_router(_part)
router.include_router(fair_openings.router)
