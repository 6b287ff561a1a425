"""`estate up`: embedded PostgreSQL and broker (unless the settings name real ones), topics, migrations, the four
service processes, restarts with backoff, and a clean stop."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass

import typer

from shared.messaging.kafka import SEND_TIMEOUT_MS
from shared.messaging.wakeup import WAKE_SIGNAL, ignore_wakeups
from shared.runtime.settings import DEV_JWT_SECRET, SERVICES, get_settings
from shared.tools.embedded import EmbeddedKafka, EmbeddedPostgres, die_with_parent, health_status, port_open

# A broker that died is started again this long after: by then every send to the old one has failed for good, and
# the services' relays publish again, in order, what the new broker lacks before anything new (issue 19).
BROKER_RESTART_AFTER = SEND_TIMEOUT_MS / 1000 + 1.0


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    started: float
    restarts: int = 0


class Supervisor:
    """`estate up`: infrastructure, migrations, four service processes, restarts, clean stop."""

    def __init__(self) -> None:
        self.settings = get_settings()
        self.data_dir = self.settings.data_dir.resolve()
        self.pg: EmbeddedPostgres | None = None
        self.broker: EmbeddedKafka | None = None
        self.children: dict[str, Child] = {}
        self.stopping = False
        self.broker_died_at: float | None = None

    def run(self) -> None:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(WAKE_SIGNAL, self._wake_children)
        try:
            self._start_infrastructure()
            for name in SERVICES:
                self.children[name] = self._spawn(name)
            self._wait_healthy(timeout=60)
            self._print_table()
            self._watch()
        except KeyboardInterrupt:
            pass
        finally:
            self._stop_all()

    def _on_signal(self, *_: object) -> None:
        self.stopping = True
        raise KeyboardInterrupt

    def _wake_children(self, *_: object) -> None:
        """A service published events: every service's consumer fetches now (shared/wakeup.py)."""
        for child in list(self.children.values()):
            if child.process.poll() is None:
                try:
                    child.process.send_signal(WAKE_SIGNAL)
                except ProcessLookupError:
                    pass

    def _start_infrastructure(self) -> None:
        from shared.db.migrate import migrate_all
        from shared.messaging.kafka import create_topics

        if self.settings.jwt_secret == DEV_JWT_SECRET:
            typer.secho(
                "warning: ESTATE_JWT_SECRET is the development default; set your own outside development",
                fg="yellow",
                err=True,
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # One machine: a property company's test receiver runs on this host too (the image and compose keep it false).
        env = {"ESTATE_WEBHOOK_ALLOW_PRIVATE": os.environ.get("ESTATE_WEBHOOK_ALLOW_PRIVATE", "true")}
        if env["ESTATE_WEBHOOK_ALLOW_PRIVATE"].lower() in ("1", "true", "yes", "on"):
            typer.secho(
                "warning: webhooks may target loopback and private addresses (ESTATE_WEBHOOK_ALLOW_PRIVATE=true, "
                "the one-machine default of `estate up`); set it to false wherever others can register webhooks",
                fg="yellow",
                err=True,
            )
        env |= self._start_postgres() | self._start_broker()
        os.environ.update(env)
        get_settings.cache_clear()
        self.settings = get_settings()
        bootstrap = self.settings.kafka_bootstrap()
        asyncio.run(create_topics(bootstrap, self.settings.partitions, self.settings.replication_factor))
        asyncio.run(migrate_all(self.settings))

    def _start_postgres(self) -> dict[str, str]:
        """Embedded PostgreSQL unless a database URL is set; the settings the services then need."""
        if self.settings.database_url:
            return {}
        self.pg = EmbeddedPostgres(self.data_dir / "pg", _free(self.settings.embedded_pg_port, "`estate up`"))
        self.pg.start()
        return {"ESTATE_DATABASE_URL": self.pg.dsn}

    def _start_broker(self) -> dict[str, str]:
        """The embedded Tansu broker unless Kafka is named; the settings the services then need."""
        if self.settings.kafka:
            return {}
        self.broker = EmbeddedKafka(
            _free(self.settings.embedded_kafka_port, "another broker"), self.data_dir / "tansu.log"
        )
        self.broker.start()
        return {"ESTATE_KAFKA": self.broker.bootstrap}

    def _spawn(self, name: str) -> Child:
        logs = self.data_dir / "logs"
        logs.mkdir(exist_ok=True)
        out = open(logs / f"{name}.log", "ab")
        env = {k: v for k, v in os.environ.items() if k != "ESTATE_PORT"}  # each child takes its own port
        env |= {"ESTATE_CONSUMER_WAKE": "supervisor", "ESTATE_SUPERVISOR_PID": str(os.getpid())}
        process = subprocess.Popen(
            [sys.executable, "-m", "shared.tools.cli", "serve", name],
            stdout=out,
            stderr=out,
            preexec_fn=_child_of_supervisor,
            env=env,
        )
        return Child(name, process, time.monotonic())

    def _healthy(self, name: str) -> bool:
        return health_status(self._url(name), timeout=1) == 200

    def _url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.settings.service_port(name)}"

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(self._healthy(n) for n in SERVICES):
                return
            time.sleep(0.3)
        typer.secho("some services are not healthy yet; see .estate/logs/", fg="yellow", err=True)

    def _print_table(self) -> None:
        rows = [("service", "url", "pid", "health")]
        for name, child in self.children.items():
            rows.append((name, self._url(name), str(child.process.pid), "ok" if self._healthy(name) else "starting"))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        for row in rows:
            typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)))
        typer.echo(f"\nPostgreSQL  {self.settings.server_dsn()}" + ("  (embedded)" if self.pg else ""))
        typer.echo(
            f"Kafka       {self.settings.kafka_bootstrap()}" + ("  (embedded, in memory)" if self.broker else "")
        )
        typer.echo(f"data, logs  {self.data_dir}")
        typer.echo(f"board       {self._url('inventory')}/board      demo: .venv/bin/estate demo")
        typer.echo("Ctrl-C stops everything.")

    def _watch(self) -> None:
        while not self.stopping:
            time.sleep(0.5)
            self._watch_broker()
            for name, child in list(self.children.items()):
                if child.process.poll() is not None:
                    self._restart(name, child)

    def _watch_broker(self) -> None:
        """The embedded broker died: start a new one once the old one's sends have all failed, with the topics."""
        if self.broker is None or self.broker.alive:
            return
        now = time.monotonic()
        if self.broker_died_at is None:
            self.broker_died_at = now
            typer.secho(
                f"the broker exited; starting a new one in {BROKER_RESTART_AFTER:.0f} s "
                "(the services publish again what it held)",
                fg="red",
                err=True,
            )
        if now - self.broker_died_at < BROKER_RESTART_AFTER:
            return
        from shared.messaging.kafka import create_topics

        try:
            self.broker.start()
            settings = self.settings
            asyncio.run(create_topics(self.broker.bootstrap, settings.partitions, settings.replication_factor))
        except Exception as exc:  # the port still taken, say: try again after the same wait
            typer.secho(f"the broker did not start again: {exc}", fg="red", err=True)
            self.broker_died_at = now
            return
        self.broker_died_at = None
        typer.secho(f"broker started again ({self.broker.cluster_id})", fg="yellow", err=True)

    def _restart(self, name: str, child: Child) -> None:
        delay = min(30.0, 2.0 ** min(child.restarts, 5))
        if time.monotonic() - child.started < delay:
            return
        typer.secho(
            f"{name} exited with {child.process.returncode}; restarting (attempt {child.restarts + 1})",
            fg="red",
            err=True,
        )
        fresh = self._spawn(name)
        fresh.restarts = child.restarts + 1
        self.children[name] = fresh

    def _stop_all(self) -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for child in self.children.values():
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        for child in self.children.values():
            try:
                child.process.wait(15)
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait(5)
        if self.broker:
            self.broker.stop()
        if self.pg:
            self.pg.stop()
        typer.echo("stopped.")


def _child_of_supervisor() -> None:
    """preexec_fn of a service: dies with the supervisor; ignores wake-ups until it listens for them."""
    ignore_wakeups()
    die_with_parent()


def _free(port: int, who: str) -> int:
    """The port, unless something already listens there (then say who probably does, and stop)."""
    if port_open(port):
        raise SystemExit(f"port {port} is taken: is {who} already running?")
    return port
