"""The environment for `estate serve` run as a subprocess against the infrastructure some settings point at."""

from __future__ import annotations

import os
from pathlib import Path

from shared.runtime.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def serve_env(settings: Settings, port: int, **extra: str) -> dict[str, str]:
    """This process's environment less its own ESTATE_* variables, pointed at `settings`' PostgreSQL, broker,
    database prefix and JWT secret, listening on `port`, with `extra` variables on top."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESTATE_")}
    env.update(
        ESTATE_DATABASE_URL=settings.server_dsn(),
        ESTATE_KAFKA=settings.kafka_bootstrap(),
        ESTATE_DB_PREFIX=settings.db_prefix,
        ESTATE_JWT_SECRET=settings.jwt_secret,
        ESTATE_PORT=str(port),
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env
