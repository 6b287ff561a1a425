"""`make run` loses nothing when its broker dies or when it is stopped and started again (issue 19).

The embedded broker keeps its log in memory. Killed in the middle of a burst of holds, `estate up` starts a new
one and every service publishes again what the new one lacks; stopped with Ctrl-C in the middle of a burst and
started again, the services find a broker that is not the one they published to and do the same. Either way
every hold that answered 201 reaches leads (the customer's timeline) and payments (its read model of live
holds), with no `estate outbox replay`, and `/health` says 503 while the broker is away.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx
import psutil
import pytest

from shared.http.tokens import make_token
from shared.runtime.settings import DEFAULT_PORTS, SERVICES
from shared.tools.embedded import free_port, free_port_offset, health_status
from tests.support.deploy import ROOT
from tests.support.polling import wait_for

SECRET = "broker-loss-" + "x" * 24
pytestmark = pytest.mark.timeout(240)


class Up:
    """One `estate up`, its ports and data kept so that it can be started again on the same state."""

    def __init__(self, data: Path) -> None:
        self.data, self.process = data, None
        self.offset = free_port_offset(DEFAULT_PORTS.values())
        self.pg_port, self.kafka_port = free_port(), free_port()
        self.urls = {s: f"http://127.0.0.1:{DEFAULT_PORTS[s] + self.offset}" for s in SERVICES}

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ESTATE_")}
        env.update(
            ESTATE_DATA_DIR=str(self.data / "estate"),
            ESTATE_EMBEDDED_PG_PORT=str(self.pg_port),
            ESTATE_EMBEDDED_KAFKA_PORT=str(self.kafka_port),
            ESTATE_PORT_OFFSET=str(self.offset),
            ESTATE_JWT_SECRET=SECRET,
            PYTHONUNBUFFERED="1",
        )
        log = open(self.data / "up.log", "ab")
        command = [sys.executable, "-m", "shared.tools.cli", "up"]
        self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        wait_for(self.healthy, timeout=90, what="four healthy services")

    def healthy(self) -> bool:
        return all(health_status(u) == 200 for u in self.urls.values())

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            self.process.wait(60)

    def broker(self) -> psutil.Process:
        assert self.process is not None
        brokers = [p for p in psutil.Process(self.process.pid).children() if "tansu" in " ".join(p.cmdline())]
        assert len(brokers) == 1, brokers
        return brokers[0]

    def log(self) -> str:
        return (self.data / "up.log").read_text(errors="replace")


@contextmanager
def _running(tmp_path: Path) -> Iterator[Up]:
    up = Up(tmp_path)
    try:
        up.start()
        yield up
    finally:
        up.stop()


def _auth(role: str, projects: list[str], sub: str = "") -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(SECRET, sub or f'{role}-1', role, projects, name=role)}"}


def _seed(up: Up, units: int) -> tuple[str, list[str], str]:
    """A project with `units` units and one customer inventory has heard of; (project, unit ids, customer)."""
    pid = httpx.post(
        f"{up.urls['inventory']}/v1/projects",
        json={"code": f"BL{random.randrange(10**8):08d}", "name": "Broker loss", "city": "Shanghai"},
        headers=_auth("admin", []),
    ).json()["id"]
    rows = [
        {"building": "1", "number": f"{n:04d}", "floor": 1 + n // 10, "layout": "2b1b", "area_m2": "80.00",
         "list_price": "1000000.00", "floor_price": "900000.00"}
        for n in range(units)
    ]  # fmt: skip
    sales = _auth("sales_control", [pid])
    assert httpx.post(f"{up.urls['inventory']}/v1/projects/{pid}/units", json=rows, headers=sales).status_code == 201
    registered = httpx.post(
        f"{up.urls['leads']}/v1/customers",
        json={"project_id": pid, "name": "Broker Loss", "phone": "13900001111", "source": "walk_in"},
        headers=_auth("consultant", [pid]),
    )
    listed = httpx.get(f"{up.urls['inventory']}/v1/projects/{pid}/units?limit=500", headers=sales).json()
    return pid, [u["id"] for u in listed], registered.json()["id"]


def _hold(up: Up, pid: str, unit: str, customer: str) -> str | None:
    """A hold; its id when it answered 201, None otherwise (the service away, say)."""
    try:
        answer = httpx.post(
            f"{up.urls['inventory']}/v1/units/{unit}/holds",
            json={"customer_id": customer},
            headers=_auth("consultant", [pid]),
            timeout=10,
        )
    except httpx.HTTPError:
        return None
    return answer.json()["hold_id"] if answer.status_code == 201 else None


def _first_hold(up: Up, pid: str, unit: str, customer: str) -> str:
    """The first hold waits until inventory has heard of the customer (leads' event)."""
    return wait_for(lambda: _hold(up, pid, unit, customer), timeout=30, what="inventory knows the customer")


def _on_timeline(up: Up, pid: str, customer: str) -> set[str]:
    answer = httpx.get(f"{up.urls['leads']}/v1/customers/{customer}/timeline", headers=_auth("manager", [pid]))
    return {e["detail"].get("hold_id") for e in answer.json()["timeline"] if e["kind"] == "unit_held"}


def _known_to_payments(up: Up, holds: set[str]) -> set[str]:
    async def read() -> set[str]:
        conn = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{up.pg_port}/estate_payments")
        try:
            rows = await conn.fetch("SELECT hold_id::text FROM holds WHERE hold_id::text = ANY($1)", list(holds))
        finally:
            await conn.close()
        return {r["hold_id"] for r in rows}

    return asyncio.run(read())


def _everywhere(up: Up, pid: str, customer: str, holds: set[str]) -> bool:
    return holds <= _on_timeline(up, pid, customer) and _known_to_payments(up, holds) == holds


def test_a_broker_killed_mid_burst_is_started_again_and_every_hold_arrives(tmp_path: Path) -> None:
    with _running(tmp_path) as up:
        assert "ESTATE_WEBHOOK_ALLOW_PRIVATE=true" in up.log()  # the one-machine default, said at start
        pid, units, customer = _seed(up, 40)
        holds = {_first_hold(up, pid, units[0], customer)}
        burst = threading.Thread(target=lambda: holds.update(_hold(up, pid, u, customer) for u in units[1:]))
        burst.start()
        wait_for(lambda: len(holds) > 10, timeout=30, what="the burst under way")
        up.broker().kill()
        wait_for(
            lambda: health_status(up.urls["inventory"]) == 503, timeout=20, what="/health telling the broker is gone"
        )
        burst.join(60)
        holds.discard(None)  # type: ignore[arg-type]
        wait_for(lambda: "broker started again" in up.log(), timeout=30, what="estate up starting a new broker")
        wait_for(lambda: _everywhere(up, pid, customer, holds), timeout=90, what="every hold in leads and payments")
        assert len(holds) == 40  # the holds themselves never needed the broker
        wait_for(up.healthy, timeout=60, what="healthy again")


def test_make_run_stopped_mid_burst_and_started_again_loses_nothing(tmp_path: Path) -> None:
    up = Up(tmp_path)
    try:
        up.start()
        pid, units, customer = _seed(up, 30)
        holds = {_first_hold(up, pid, units[0], customer)}
        burst = threading.Thread(target=lambda: holds.update(_hold(up, pid, u, customer) for u in units[1:]))
        burst.start()
        wait_for(lambda: len(holds) > 10, timeout=30, what="the burst under way")
        up.stop()  # Ctrl-C in the middle of it: the in-memory broker goes with it
        burst.join(60)
        holds.discard(None)  # type: ignore[arg-type]
        up.start()  # the same data, a new broker
        wait_for(lambda: _everywhere(up, pid, customer, holds), timeout=90, what="every hold in leads and payments")
    finally:
        up.stop()
