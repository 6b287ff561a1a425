"""The `estate` command: up, serve, token, migrate, topics, outbox replay, reports rebuild, relay, asyncapi, demo,
opening verify."""

from __future__ import annotations

import asyncio
from datetime import date, datetime

import asyncpg
import httpx
import typer

from shared.runtime.settings import SERVICES, get_settings

app = typer.Typer(help="estate: the sales office of a property developer, as events.", no_args_is_help=True)
outbox_app = typer.Typer(help="Outbox operations.", no_args_is_help=True)
app.add_typer(outbox_app, name="outbox")
reports_app = typer.Typer(help="The group's reports (issue 22).", no_args_is_help=True)
app.add_typer(reports_app, name="reports")


@app.command()
def serve(service: str) -> None:
    """Run one service (HTTP, outbox relay, consumers) in the foreground."""
    _check_service(service)
    from shared.runtime.serving import serve as run

    run(service)


@app.command()
def consume(service: str) -> None:
    """Run one service's consumers, relay and jobs without HTTP (scale these out; /metrics on ESTATE_METRICS_PORT)."""
    _check_service(service)
    from prometheus_client import start_http_server

    from shared.runtime import logs
    from shared.runtime.serving import load_spec
    from shared.runtime.standalone import run_consumers

    settings = get_settings()
    logs.configure(service, settings.log_level)
    start_http_server(settings.metrics_port, addr=settings.host)
    asyncio.run(run_consumers(load_spec(service), settings))


@app.command("pm-receiver")
def pm_receiver(
    port: int = typer.Option(8090, help="where to listen"),
    secret: str = typer.Option(..., help="the endpoint's secret (whsec_…), shown once at registration"),
    notifications: str = typer.Option("http://127.0.0.1:8004", help="where to send acknowledgements"),
    host: str = "127.0.0.1",
) -> None:
    """A reference receiver for a property company: verifies signatures, prints hand-offs, acknowledges them."""
    import uvicorn

    from shared.tools.pm_receiver import PropertyReceiver

    receiver = PropertyReceiver(secret, notifications)
    typer.echo(f"listening on http://{host}:{port}/ (register this URL as the webhook endpoint)")
    uvicorn.run(receiver.app(), host=host, port=port, log_level="warning")


@app.command()
def token(
    sub: str = typer.Option(...),
    role: str = typer.Option(...),
    project: list[str] = typer.Option([], help="project id; repeat for several"),
    org: list[str] = typer.Option([], help="a group manager's org unit id; repeat for several"),
    name: str | None = None,
    hours: float = 12.0,
) -> None:
    """Print a development JWT (HS256, ESTATE_JWT_SECRET); a group manager's names their org units (`--org`)."""
    from shared.http.tokens import make_token

    try:
        secret = get_settings().jwt_secret
        typer.echo(make_token(secret, sub, role, project, name=name, hours=hours, orgs=org))
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command()
def migrate(service: list[str] = typer.Option(list(SERVICES), help="service to migrate; repeat for several")) -> None:
    """Create each service's database if missing and apply its migrations."""
    from shared.db.migrate import migrate_all

    for name in service:
        _check_service(name)
    for name, applied in asyncio.run(migrate_all(get_settings(), service)).items():
        typer.echo(f"{name}: {len(applied)} migration(s) applied")


@app.command()
def topics() -> None:
    """Create every catalogue topic and its .dlq twin on the configured broker."""
    from shared.messaging.kafka import create_topics

    settings = get_settings()
    made = asyncio.run(create_topics(settings.kafka_bootstrap(), settings.partitions, settings.replication_factor))
    typer.echo(f"{len(made)} topic(s) created on {settings.kafka_bootstrap()}")


def _aware_time(text: str) -> datetime:
    """An ISO 8601 time with its offset (read here: the CLI library's own date parsing knows no offsets)."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO 8601 time") from None
    if when.tzinfo is None:
        raise typer.BadParameter("--since needs an offset, e.g. 2026-11-23T08:00:00+08:00")
    return when


@outbox_app.command("replay")
def outbox_replay(service: str = typer.Option(...), since: str = typer.Option(..., help="ISO 8601 time")) -> None:
    """Publish again a service's events created since a time (after the embedded broker restarted)."""
    from shared.messaging.outbox import replay_service

    _check_service(service)
    when = _aware_time(since)
    try:
        count = asyncio.run(replay_service(get_settings(), service, when))
    except (OSError, asyncpg.PostgresError) as exc:
        typer.echo(f"cannot reach {service}'s database: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{count} event(s) of {service} queued for publishing again")


@reports_app.command("rebuild")
def reports_rebuild(since: str = typer.Option(..., help="YYYY-MM-DD: every local day from this one on")) -> None:
    """Make the report buckets again from the events leads kept (a new definition, a repair): they come out as
    the live updates built them. Events wait while it runs."""
    from shared.tools.maintenance import rebuild_reports

    try:
        day = date.fromisoformat(since)
    except ValueError as exc:
        raise typer.BadParameter("--since is a date, YYYY-MM-DD") from exc
    try:
        count = asyncio.run(rebuild_reports(get_settings(), day))
    except (OSError, asyncpg.PostgresError) as exc:
        typer.echo(f"cannot reach leads' database: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"report buckets from {day} rebuilt from {count} event(s)")


@app.command()
def relay(service: str) -> None:
    """Run only the outbox relay of a service (the service process also runs one; a lock elects a leader)."""
    from shared.runtime.standalone import run_relay

    asyncio.run(run_relay(get_settings(), service))


@app.command()
def asyncapi() -> None:
    """Regenerate the committed AsyncAPI documents under docs/asyncapi/."""
    from shared.messaging.asyncapi import write_all

    for path in write_all():
        typer.echo(str(path))


@app.command()
def demo(host: str = "127.0.0.1") -> None:
    """Walk a sample customer through the whole journey against running services (after `make run`)."""
    from shared.tools.demo import StepFailed, Urls, run_demo

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
    from shared.tools.supervisor import Supervisor

    Supervisor().run()


opening_app = typer.Typer(help="Openings (开盘).", no_args_is_help=True)
app.add_typer(opening_app, name="opening")


@opening_app.command("verify")
def opening_verify(
    opening_id: str,
    file: str | None = typer.Option(None, help="the answer of GET /v1/openings/{id} saved as JSON ('-': stdin)"),
    url: str | None = typer.Option(None, help="inventory's address (default: this machine's, from the settings)"),
    token: str | None = typer.Option(None, envvar="ESTATE_TOKEN", help="a token of the project's staff or notary"),
) -> None:
    """Recompute a drawn opening's digest, seed, order and windows from what GET shows (issue 25); exit 1 if any
    check fails. Reads the opening from --file, else from the service with --token."""
    from services.inventory.verify import verify

    try:
        checks = verify(_opening_shown(opening_id, file, url, token))
    except (OSError, ValueError, KeyError, TypeError, httpx.HTTPError) as exc:
        typer.echo(f"cannot verify opening {opening_id}: {exc}", err=True)
        raise typer.Exit(2) from exc
    for what, held in checks:
        typer.echo(f"{'ok  ' if held else 'FAIL'}  {what}")
    if not all(held for _, held in checks):
        raise typer.Exit(1)


def _opening_shown(opening_id: str, file: str | None, url: str | None, token: str | None) -> dict:
    """The opening as GET answered it: from a file (or stdin), else from the service with a token."""
    import json
    import sys
    from pathlib import Path

    from services.inventory.verify import fetch

    if file is None and token is None:
        raise typer.BadParameter("give --file, or --token to read the opening from the service")
    if file is None:
        return fetch(url or f"http://127.0.0.1:{get_settings().service_port('inventory')}", opening_id, token or "")
    opening = json.loads(sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8"))
    if not isinstance(opening, dict) or opening.get("id") != opening_id:
        raise ValueError(f"the file does not show opening {opening_id}")
    return opening


def _check_service(name: str) -> None:
    if name not in SERVICES:
        raise typer.BadParameter(f"unknown service {name!r}; one of {', '.join(SERVICES)}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
