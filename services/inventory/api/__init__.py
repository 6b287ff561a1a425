"""HTTP API of inventory (sales control): pydantic in, use case, pydantic out."""

from fastapi import APIRouter

from services.inventory.api import board, holds, openings, orgs, projects, sales, units

router = APIRouter()
_PARTS = (projects.router, projects.units, orgs.router, units.router, holds.router, sales.router, board.router)
for _part in (*_PARTS, openings.router):
    router.include_router(_part)
