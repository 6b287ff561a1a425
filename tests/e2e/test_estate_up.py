"""`estate up` (what `make run` calls): four healthy services on embedded infrastructure; Ctrl-C leaves nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys

import httpx
import psutil

from shared.runtime.settings import DEFAULT_PORTS
from shared.tools.embedded import port_open
from tests.support.deploy import ROOT
from tests.support.polling import wait_for


def _free_offset() -> int:
    """Service ports 18001–32004: below Linux's ephemeral range (32768 up), so no outgoing connection of this busy
    machine can take one between this check and the service's bind (a port race made this test flaky)."""
    while True:
        offset = random.randrange(10_000, 24_000, 10)
        if not any(port_open(port + offset) for port in DEFAULT_PORTS.values()):
            return offset


def _all_healthy(offset: int) -> bool:
    try:
        return all(
            httpx.get(f"http://127.0.0.1:{p + offset}/health", timeout=1).status_code == 200
            for p in DEFAULT_PORTS.values()
        )
    except httpx.HTTPError:
        return False


def test_estate_up_runs_four_healthy_services_and_ctrl_c_stops_everything(tmp_path) -> None:
    from shared.tools.embedded import free_port

    offset = _free_offset()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESTATE_")}
    env.update(
        ESTATE_DATA_DIR=str(tmp_path / "estate"),
        ESTATE_EMBEDDED_PG_PORT=str(free_port()),
        ESTATE_EMBEDDED_KAFKA_PORT=str(free_port()),
        ESTATE_PORT_OFFSET=str(offset),
        ESTATE_JWT_SECRET="x" * 32,
        PYTHONUNBUFFERED="1",
    )
    log = open(tmp_path / "up.log", "wb")
    up = subprocess.Popen([sys.executable, "-m", "shared.tools.cli", "up"], cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        wait_for(lambda: _all_healthy(offset), timeout=60, interval=0.3, what="four healthy services")
        wait_for(
            lambda: "Ctrl-C stops everything" in (tmp_path / "up.log").read_text(),
            timeout=30,
            what="the table of what runs where",
        )
        tree = psutil.Process(up.pid).children(recursive=True)
        assert len(tree) >= 6  # four services, PostgreSQL (and its workers), the broker
        up.send_signal(signal.SIGINT)
        assert up.wait(60) == 0
    finally:
        if up.poll() is None:
            up.kill()
    wait_for(
        lambda: not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in tree),
        timeout=20,
        what="no process left behind",
    )
    output = (tmp_path / "up.log").read_text()
    assert "inventory" in output and "stopped." in output
