"""`estate up` (what `make run` calls): four healthy services on embedded infrastructure; Ctrl-C leaves nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil

from shared.runtime.settings import DEFAULT_PORTS
from shared.tools.embedded import free_port_offset, health_status
from tests.support.deploy import ROOT
from tests.support.polling import wait_for


def _all_healthy(offset: int) -> bool:
    return all(health_status(f"http://127.0.0.1:{p + offset}", timeout=1) == 200 for p in DEFAULT_PORTS.values())


def test_estate_up_runs_four_healthy_services_and_ctrl_c_stops_everything(tmp_path) -> None:
    from shared.tools.embedded import free_port

    offset = free_port_offset(DEFAULT_PORTS.values())
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
