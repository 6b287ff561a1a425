"""Settings from ESTATE_* environment variables (pydantic-settings)."""

from __future__ import annotations

import socket
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

SERVICES: tuple[str, ...] = ("leads", "inventory", "payments", "notifications")
DEFAULT_PORTS: dict[str, int] = {"leads": 8001, "inventory": 8002, "payments": 8003, "notifications": 8004}
DEV_JWT_SECRET = "dev-secret-change-me"
EMBEDDED_PG_PORT = 54329
EMBEDDED_KAFKA_PORT = 9092


class Settings(BaseSettings):
    """Every knob of the platform; each is an ESTATE_<NAME> variable."""

    model_config = SettingsConfigDict(env_prefix="ESTATE_", extra="ignore")

    # Infrastructure. None means "use the embedded one" (only `estate up` and tests start it).
    database_url: str | None = None
    kafka: str | None = None
    data_dir: Path = Path(".estate")
    db_prefix: str = "estate_"
    partitions: int = 4
    replication_factor: int = 1
    embedded_pg_port: int = EMBEDDED_PG_PORT
    embedded_kafka_port: int = EMBEDDED_KAFKA_PORT
    port_offset: int = 0  # `estate up` serves each service on its documented port + this (tests run beside `make run`)
    kafka_idempotence: bool = False  # Tansu does not support the idempotent producer

    # HTTP
    host: str = "127.0.0.1"
    port: int | None = None  # default: the service's contract port
    workers: int = 1
    # Issue 13, the hold path's levers (each measured by `make bench`; off = the way before, same answers):
    # storm-prone requests (a hold) answered before the framework (tests/integration/inventory/test_hot_holds.py);
    hot_routes: bool = True
    # asyncpg's reset query (unlock all, close cursors, unlisten, reset settings) each time a connection goes back
    # to the pool — one more round trip per request; our pooled sessions carry no state to reset (shared/db.py);
    pool_reset_query: bool = False
    # a winning hold's unit, hold, history and event written by one statement, not a transaction of its own;
    hold_in_one_statement: bool = True
    # the hot route's attempts read their context together, one statement per turn of the event loop;
    hold_reads_together: bool = True
    # and those that may win take their units together, one statement and one commit (group commit);
    hold_takes_together: bool = True
    # what start-up made is frozen out of the garbage collector's full passes (they stalled requests in flight);
    gc_freeze: bool = True
    # a service's pool opens the connections its spec asks for at start, each with its hot statements prepared.
    warm_pool: bool = True
    # Issue 19: the base URL the public reaches this service at (behind a proxy, say `https://sales.example/inv`);
    # links the service hands out (inventory's board links: `{public_url}/board?link=…`, leads' dashboard links:
    # `{public_url}/dashboard?link=…`) start with it. Unset: the
    # service's own configured host and port — never the Host header of the request that asked for the link.
    public_url: str | None = None
    # Issue 19, inventory's board stream. Streams open at once in one process, per board link (a sales hall has a few
    # big screens on one link) and per person (a token's `sub`: a couple of tabs), each with room for a screen that
    # reloads before its old connection is noticed gone; beyond a cap: 429 with Retry-After.
    board_streams_per_link: int = 8
    board_streams_per_subject: int = 4
    # Unit changes waiting for one screen; a screen further behind is dropped (its stream ends and what waited is
    # let go) and resumes with Last-Event-ID. Two of the feed's reads (1,000 changes each) of an opening's storm.
    board_stream_buffer: int = 2000
    jwt_secret: str = DEV_JWT_SECRET
    max_body_bytes: int = 1_048_576  # larger bodies → 413
    idempotency_ttl_hours: float = 24.0  # an Idempotency-Key is remembered this long

    # Outbox relay and consumers
    outbox_poll_seconds: float = 10.0  # a relay at rest looks this often; a commit wakes it at once (NOTIFY)
    outbox_batch_size: int = 2000  # rows the relay reads and publishes at a time
    outbox_pace_ms: float = 10.0  # under load, the least time between two batches (shared/messaging/relay.py)
    outbox_retention_hours: float = 168.0  # published rows every consumer group confirmed are kept this long
    inbox_retention_hours: float = 336.0  # applied event ids are kept this long (longer than the outbox keeps rows)
    consumer_max_retries: int = 3
    consumer_retry_backoff_seconds: float = 0.2
    consumer_group_prefix: str = "estate"
    consumer_batch_size: int = 500  # records applied per database transaction
    # Issue 27: how long the broker may hold a fetch open while nothing arrives — measured on the embedded broker,
    # whose long poll does not return when a message arrives (Apache Kafka's does: 500 there);
    consumer_fetch_wait_ms: int = 25  # Tansu answers a fetch only when its wait runs out: short, while awake
    # `fetch`: keep fetching; `supervisor` (what `estate up` sets): after `consumer_awake_ms` without a record stop
    # fetching until the supervisor's wake-up or `consumer_safety_seconds` (shared/wakeup.py)
    consumer_wake: Literal["fetch", "supervisor"] = "fetch"
    supervisor_pid: int | None = None
    consumer_awake_ms: int = 250
    consumer_safety_seconds: float = 30.0
    broker_check_seconds: float = 10.0  # who the broker is and what consumers confirmed, checked this often at rest
    consumers_enabled: bool = True  # false: an HTTP-only replica (consumers run in `estate consume` replicas)
    metrics_port: int = 9100  # `estate consume` serves /metrics here

    # Webhooks to property companies (notifications)
    webhook_allow_private: bool = False  # `estate up` sets it: endpoints on loopback/private addresses accepted
    webhook_timeout_seconds: float = 15.0  # an endpoint answers within this, or the attempt failed

    # Personal data: key for encryption at rest and keyed phone hashes (leads).
    pii_key: str = "dev-pii-key-change-me"

    # Logging
    log_level: str = "INFO"

    def service_port(self, service: str) -> int:
        """The HTTP port of `service`: ESTATE_PORT if set, else its contract port."""
        return self.port or DEFAULT_PORTS[service] + self.port_offset

    def public_base(self, service: str) -> str:
        """Where the public reaches `service` (links it hands out start here: inventory's board, leads' dashboard):
        `ESTATE_PUBLIC_URL` when set, else its own configured address (a wildcard bind is named by the machine's
        host name, the name other machines on the network know it by); never a request's Host header."""
        if self.public_url:
            return self.public_url.rstrip("/")
        host = socket.gethostname() if self.host in ("0.0.0.0", "::", "") else self.host
        host = f"[{host}]" if ":" in host else host  # an IPv6 address in a URL
        return f"http://{host}:{self.service_port(service)}"

    def kafka_bootstrap(self) -> str:
        """Bootstrap servers; the embedded broker's address unless ESTATE_KAFKA is set."""
        return self.kafka or f"127.0.0.1:{self.embedded_kafka_port}"

    def server_dsn(self) -> str:
        """DSN of the PostgreSQL server; the embedded one unless ESTATE_DATABASE_URL is set."""
        return self.database_url or f"postgresql://postgres@127.0.0.1:{self.embedded_pg_port}/postgres"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
