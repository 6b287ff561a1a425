"""Session-scoped infrastructure: real PostgreSQL and a real Kafka-protocol broker, started lazily.

External ones when ESTATE_DATABASE_URL / ESTATE_KAFKA are set; testcontainers when ESTATE_TEST_DOCKER=1;
otherwise embedded on free ports (so `make test` runs beside `make run`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from shared.messaging.kafka import create_topics_sync
from shared.runtime.settings import Settings
from shared.tools.embedded import EmbeddedKafka, EmbeddedPostgres, free_port
from tests.support.polling import wait_for
from tests.support.processes import serve_env

ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET = "test-secret"


def _docker_wanted() -> bool:
    return os.environ.get("ESTATE_TEST_DOCKER") == "1"


@pytest.fixture(scope="session")
def infra_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="estate-test-") as d:
        yield Path(d)


@pytest.fixture(scope="session")
def pg_dsn(infra_dir: Path) -> Iterator[str]:
    """DSN of a PostgreSQL server (not a database: each service makes its own)."""
    if os.environ.get("ESTATE_DATABASE_URL"):
        yield os.environ["ESTATE_DATABASE_URL"]
    elif _docker_wanted():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:17", driver=None) as pg:
            yield pg.get_connection_url()
    else:
        server = EmbeddedPostgres(infra_dir / "pg", free_port())
        server.start()
        yield server.dsn
        server.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(infra_dir: Path) -> Iterator[str]:
    """Bootstrap servers of a Kafka-protocol broker with every catalogue topic created."""
    partitions = int(os.environ.get("ESTATE_PARTITIONS", "4"))
    if os.environ.get("ESTATE_KAFKA"):
        create_topics_sync(os.environ["ESTATE_KAFKA"], partitions)
        yield os.environ["ESTATE_KAFKA"]
    elif _docker_wanted():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer("apache/kafka:4.1.0") as kafka:
            create_topics_sync(kafka.get_bootstrap_server(), partitions)
            yield kafka.get_bootstrap_server()
    else:
        broker = EmbeddedKafka(free_port(), infra_dir / "tansu.log")
        broker.start()
        create_topics_sync(broker.bootstrap, partitions)
        yield broker.bootstrap
        broker.stop()


@pytest.fixture(scope="session")
def settings(pg_dsn: str, kafka_bootstrap: str) -> Settings:
    """Settings pointing at the test infrastructure, with a database prefix unique to this session."""
    return Settings(
        database_url=pg_dsn,
        kafka=kafka_bootstrap,
        db_prefix=f"t{uuid.uuid4().hex[:6]}_",
        jwt_secret=TEST_SECRET,
        outbox_poll_seconds=0.2,
        consumer_retry_backoff_seconds=0.05,
        kafka_idempotence=bool(_docker_wanted()),
    )


def service_env(settings: Settings, port: int, **extra: str) -> dict[str, str]:
    """Environment for a service subprocess using the test infrastructure."""
    return serve_env(
        settings,
        port,
        ESTATE_OUTBOX_POLL_SECONDS=str(settings.outbox_poll_seconds),
        ESTATE_CONSUMER_RETRY_BACKOFF_SECONDS=str(settings.consumer_retry_backoff_seconds),
        ESTATE_KAFKA_IDEMPOTENCE=str(settings.kafka_idempotence).lower(),
        # The test receivers listen on the loopback. The services' webhook workers share the test databases
        # with the in-process ones of the integration tests: a short timeout for all, so a slow receiver
        # times out whichever worker takes its delivery.
        ESTATE_WEBHOOK_ALLOW_PRIVATE="true",
        ESTATE_WEBHOOK_TIMEOUT_SECONDS="2",
        **extra,
    )


@dataclass
class ServiceProcess:
    """`estate serve NAME` as a real subprocess."""

    name: str
    settings: Settings
    log_path: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def start(self, timeout: float = 90.0) -> ServiceProcess:
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "shared.tools.cli", "serve", self.name],
            cwd=ROOT,
            env=service_env(self.settings, self.port),
            stdout=log,
            stderr=log,
        )
        wait_for(self._healthy, timeout=timeout, interval=0.2, what=f"{self.name} healthy (log: {self.log_path})")
        return self

    def _healthy(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}; log: {self.log_path}")
        try:
            return httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(20)

    def restart(self) -> ServiceProcess:
        self.kill(signal.SIGTERM)
        return self.start()


@pytest.fixture(scope="session")
def start_service(settings: Settings, infra_dir: Path) -> Iterator[Callable[[str], ServiceProcess]]:
    """Factory: start (once per session) a service as a subprocess and return it once healthy."""
    running: dict[str, ServiceProcess] = {}

    def start(name: str) -> ServiceProcess:
        if name not in running:
            running[name] = ServiceProcess(name, settings, infra_dir / f"{name}.log").start()
        return running[name]

    yield start
    for proc in running.values():
        proc.kill(signal.SIGTERM)
