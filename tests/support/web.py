"""An app of the shared HTTP plumbing around one test router, over its own `things` table."""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi import APIRouter, FastAPI

from shared.db.migrate import migrate_service
from shared.runtime.service import ServiceSpec
from shared.runtime.serving import create_app
from shared.runtime.settings import Settings

WEB_MIGRATIONS = Path(__file__).parent / "web_migrations"


async def things_app(settings: Settings, prefix: str, router: APIRouter) -> FastAPI:
    """`router` served by `create_app` on a database of its own (`prefix` and a random suffix), migrated."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    spec = ServiceSpec(name=name, routers=[router], migrations=WEB_MIGRATIONS)
    await migrate_service(settings, name, spec.migrations)
    return create_app(spec, settings)
