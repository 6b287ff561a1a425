"""The `estate` command: up, serve, token, migrate, topics, outbox replay, relay, asyncapi, demo."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import httpx
import typer

from shared.settings import DEV_JWT_SECRET, SERVICES, get_settings

app = typer.Typer(help="estate: the sales office of a property developer, as events.", no_args_is_help=True)
outbox_app = typer.Typer(help="Outbox operations.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")


@app.command()
def serve(service: str) -> None:
    """Run one service (HTTP, outbox relay, consumers) in the foreground."""
    _check_service(service)
    from shared.runtime import serve as run

    run(service)


@app.command()
def consume(service: str) -> None:
    """Run one service's consumers, relay and jobs without HTTP (scale these out; /metrics on ESTATE_METRICS_PORT)."""
    _check_service(service)
    from prometheus_client import start_http_server

    from shared import logs
    from shared.runtime import load_spec
    from shared.standalone import run_consumers

    settings = get_settings()
    logs.configure(service, settings.log_level)
    start_http_server(settings.metrics_port, addr=settings.host)
    asyncio.run(run_consumers(load_spec(service), settings))


@app.command("pm-receiver")
def pm_receiver(port: int = typer.Option(8090, help="where to listen"),
                secret: str = typer.Option(..., help="the endpoint's secret (whsec_…), shown once at registration"),
                notifications: str = typer.Option("http://127.0.0.1:8004", help="where to send acknowledgements"),
                host: str = "127.0.0.1") -> None:
    """A reference receiver for a property company: verifies signatures, prints hand-offs, acknowledges them."""
    import uvicorn

    from shared.pm_receiver import PropertyReceiver

    receiver = PropertyReceiver(secret, notifications)
    typer.echo(f"listening on http://{host}:{port}/ (register this URL as the webhook endpoint)")
    uvicorn.run(receiver.app(), host=host, port=port, log_level="warning")


@app.command()
def token(sub: str = typer.Option(...), role: str = typer.Option(...),
          project: list[str] = typer.Option([], help="project id; repeat for several"),
          name: str | None = None, hours: float = 12.0) -> None:
    """Print a development JWT (HS256, ESTATE_JWT_SECRET)."""
    from shared.auth_tokens import make_token

    try:
        typer.echo(make_token(get_settings().jwt_secret, sub, role, project, name=name, hours=hours))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command()
def migrate(service: list[str] = typer.Option(list(SERVICES), help="service to migrate; repeat for several")) -> None:
    """Create each service's database if missing and apply its migrations."""
    from shared.db import migrate_all

    for name in service:
        _check_service(name)
    for name, applied in asyncio.run(migrate_all(get_settings(), service)).items():
        typer.echo(f"{name}: {len(applied)} migration(s) applied")


@app.command()
def topics() -> None:
    """Create every contract topic and its .dlq twin on the configured broker."""
    from shared.kafka import create_topics

    settings = get_settings()
    made = asyncio.run(create_topics(settings.kafka_bootstrap(), settings.partitions, settings.replication_factor))
    typer.echo(f"{len(made)} topic(s) created on {settings.kafka_bootstrap()}")


@outbox_app.command("replay")
def outbox_replay(service: str = typer.Option(...), since: datetime = typer.Option(..., help="ISO 8601 time")) -> None:
    """Publish again a service's events created since a time (after the embedded broker restarted)."""
    from shared.outbox import replay_service

    _check_service(service)
    if since.tzinfo is None:
        raise typer.BadParameter("--since needs an offset, e.g. 2026-11-23T08:00:00+08:00")
    try:
        count = asyncio.run(replay_service(get_settings(), service, since))
    except (OSError, asyncpg.PostgresError) as exc:
        typer.echo(f"cannot reach {service}'s database: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{count} event(s) of {service} queued for publishing again")


@app.command()
def relay(service: str) -> None:
    """Run only the outbox relay of a service (the service process also runs one; a lock elects a leader)."""
    from shared.standalone import run_relay

    asyncio.run(run_relay(get_settings(), service))


@app.command()
def asyncapi() -> None:
    """Regenerate the committed AsyncAPI documents under docs/asyncapi/."""
    from shared.asyncapi_docs import write_all

    for path in write_all():
        typer.echo(str(path))


@app.command()
def demo(host: str = "127.0.0.1") -> None:
    """Walk a sample customer through the whole journey against running services (after `make run`)."""
    from shared.demo import StepFailed, Urls, run_demo

    settings = get_settings()
    urls = Urls(**{name: f"http://{host}:{settings.service_port(name)}" for name in SERVICES})
    try:
        journey = asyncio.run(run_demo(urls, settings.jwt_secret, settings.kafka_bootstrap()))
    except (StepFailed, httpx.HTTPError) as exc:
        typer.echo(f"demo stopped: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"done: project {journey.project_id}, unit {journey.unit_id}, sale {journey.sale_id}")


@app.command()
def up() -> None:
    """Start embedded PostgreSQL and broker (unless told otherwise) and the four services; Ctrl-C stops all."""
    Supervisor().run()


def _check_service(name: str) -> None:
    if name not in SERVICES:
        raise typer.BadParameter(f"unknown service {name!r}; one of {', '.join(SERVICES)}")


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    started: float
    restarts: int = 0


class Supervisor:
    """`estate up`: infrastructure, migrations, four service processes, restarts, clean stop."""

    def __init__(self) -> None:
        self.settings = get_settings()
        self.data_dir = self.settings.data_dir.resolve()
        self.pg = self.broker = None
        self.children: dict[str, Child] = {}
        self.stopping = False

    def run(self) -> None:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
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

    def _start_infrastructure(self) -> None:
        from shared.db import migrate_all
        from shared.embedded import EmbeddedKafka, EmbeddedPostgres, port_open
        from shared.kafka import create_topics

        if self.settings.jwt_secret == DEV_JWT_SECRET:
            typer.secho("warning: ESTATE_JWT_SECRET is the development default; set your own outside development",
                        fg="yellow", err=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # One machine: a property company's test receiver runs on this host too (production keeps it false).
        env_updates = {"ESTATE_WEBHOOK_ALLOW_PRIVATE": os.environ.get("ESTATE_WEBHOOK_ALLOW_PRIVATE", "true")}
        if not self.settings.database_url:
            pg_port = self.settings.embedded_pg_port
            if port_open(pg_port):
                raise SystemExit(f"port {pg_port} is taken: is `estate up` already running?")
            self.pg = EmbeddedPostgres(self.data_dir / "pg", pg_port)
            self.pg.start()
            env_updates["ESTATE_DATABASE_URL"] = self.pg.dsn
        if not self.settings.kafka:
            kafka_port = self.settings.embedded_kafka_port
            if port_open(kafka_port):
                raise SystemExit(f"port {kafka_port} is taken: is another broker running?")
            self.broker = EmbeddedKafka(kafka_port, self.data_dir / "tansu.log")
            self.broker.start()
            env_updates["ESTATE_KAFKA"] = self.broker.bootstrap
        os.environ.update(env_updates)
        get_settings.cache_clear()
        self.settings = get_settings()
        asyncio.run(create_topics(self.settings.kafka_bootstrap(), self.settings.partitions,
                                  self.settings.replication_factor))
        asyncio.run(migrate_all(self.settings))

    def _spawn(self, name: str) -> subprocess.Popen:
        from shared.embedded import _die_with_parent

        logs = self.data_dir / "logs"
        logs.mkdir(exist_ok=True)
        out = open(logs / f"{name}.log", "ab")
        env = {k: v for k, v in os.environ.items() if k != "ESTATE_PORT"}  # each child takes its own port
        process = subprocess.Popen([sys.executable, "-m", "shared.cli", "serve", name], stdout=out, stderr=out,
                                   preexec_fn=_die_with_parent, env=env)
        return Child(name, process, time.monotonic())

    def _healthy(self, name: str) -> bool:
        try:
            return httpx.get(f"{self._url(name)}/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

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
            rows.append((name, self._url(name), str(child.process.pid),
                         "ok" if self._healthy(name) else "starting"))
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        for row in rows:
            typer.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))
        typer.echo(f"\nPostgreSQL  {self.settings.server_dsn()}" + ("  (embedded)" if self.pg else ""))
        typer.echo(f"Kafka       {self.settings.kafka_bootstrap()}" + ("  (embedded, in memory)" if self.broker else ""))
        typer.echo(f"data, logs  {self.data_dir}")
        typer.echo(f"board       {self._url('inventory')}/board      demo: .venv/bin/estate demo")
        typer.echo("Ctrl-C stops everything.")

    def _watch(self) -> None:
        while not self.stopping:
            time.sleep(0.5)
            for name, child in list(self.children.items()):
                if child.process.poll() is not None:
                    self._restart(name, child)

    def _restart(self, name: str, child: Child) -> None:
        delay = min(30.0, 2.0 ** min(child.restarts, 5))
        if time.monotonic() - child.started < delay:
            return
        typer.secho(f"{name} exited with {child.process.returncode}; restarting (attempt {child.restarts + 1})",
                    fg="red", err=True)
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


def main() -> None:
    app()


if __name__ == "__main__":
    main()
