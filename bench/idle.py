"""`make bench` part `idle` (issue 27): what `make run` costs while nobody uses it, and how soon an event arrives.

`estate up` starts as a user starts it (embedded PostgreSQL and broker, four services), on ports of its own. A
project with 30 units and 3 customers is made through the API; then nothing happens for `REST_SECONDS`, and every
process below `estate up` is measured: CPU (user + system, as the kernel counts it), resident memory, and each
service's TCP connections to the broker. Then `HOLDS` holds, one every `HOLD_EVERY` seconds, each followed from
its 201 to the hold on the customer's timeline in leads (a consumer of inventory's `unit-locked`).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from shared.http.tokens import make_token
from shared.runtime.settings import DEFAULT_PORTS, SERVICES
from shared.tools.embedded import free_port, free_port_offset, health_status

ROOT = Path(__file__).resolve().parent.parent
REST_SECONDS, SETTLE_SECONDS, HOLDS, HOLD_EVERY = 60.0, 10.0, 20, 0.7
SECRET = "idle-bench-" + "x" * 24


def run(logs: Path) -> dict[str, Any]:
    """Start `estate up`, seed, measure at rest, then the holds' delay to the timeline; stop it."""
    offset, kafka_port = free_port_offset(DEFAULT_PORTS.values()), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ESTATE_")}
    env.update(
        ESTATE_DATA_DIR=str(logs / "estate"),
        ESTATE_EMBEDDED_PG_PORT=str(free_port()),
        ESTATE_EMBEDDED_KAFKA_PORT=str(kafka_port),
        ESTATE_PORT_OFFSET=str(offset),
        ESTATE_JWT_SECRET=SECRET,
    )
    out = open(logs / "up.log", "wb")
    up = subprocess.Popen([sys.executable, "-m", "shared.tools.cli", "up"], cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        urls = {s: f"http://127.0.0.1:{DEFAULT_PORTS[s] + offset}" for s in SERVICES}
        _wait(lambda: all(health_status(u) == 200 for u in urls.values()), 120, "four healthy services")
        seeded = _seed(urls)
        time.sleep(SETTLE_SECONDS)
        rest = _at_rest(up.pid, kafka_port)
        return {"rest": rest, "delay": _hold_delays(urls, seeded)}
    finally:
        up.send_signal(signal.SIGINT)
        try:
            up.wait(60)
        except subprocess.TimeoutExpired:
            up.kill()


def _wait(predicate: Any, timeout: float, what: str, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"idle bench: no {what} within {timeout} s")
        time.sleep(every)
    return result


def _auth(sub: str, role: str, projects: list[str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(SECRET, sub, role, projects, name=sub)}"}


def _seed(urls: dict[str, str]) -> dict[str, Any]:
    """A project, 30 units and 3 customers, through the API; inventory has heard of the customers."""
    code = f"IDLE{random.randrange(10**6):06d}"
    project = httpx.post(
        f"{urls['inventory']}/v1/projects", json={"code": code, "name": "Idle", "city": "Shanghai"},
        headers=_auth("admin-1", "admin", []), timeout=10,
    ).json()["id"]  # fmt: skip
    units = [
        {"building": "1", "number": f"{f}0{n}", "floor": f, "layout": "3b2b", "area_m2": "98.50",
         "list_price": "2000000.00", "floor_price": "1800000.00"}
        for f in range(1, 11) for n in range(1, 4)
    ]  # fmt: skip
    sales = _auth("sc-1", "sales_control", [project])
    httpx.post(f"{urls['inventory']}/v1/projects/{project}/units", json=units, headers=sales, timeout=10)
    consultant = _auth("consultant-1", "consultant", [project])
    customers = [
        httpx.post(
            f"{urls['leads']}/v1/customers",
            json={"project_id": project, "name": f"Buyer {i}", "phone": f"1380013{i:04d}", "source": "walk_in"},
            headers=consultant, timeout=10,
        ).json()["id"]
        for i in range(3)
    ]  # fmt: skip
    unit_ids = [u["id"] for u in httpx.get(f"{urls['inventory']}/v1/projects/{project}/units", headers=sales).json()]
    return {"project": project, "customers": customers, "units": unit_ids, "consultant": consultant}


def _tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def _role(process: psutil.Process) -> str:
    """Which part of the system a process is: a service by name, the broker, PostgreSQL, or the supervisor."""
    try:
        cmd = " ".join(process.cmdline())
    except psutil.Error:
        return "gone"
    for service in SERVICES:
        if f"serve {service}" in cmd:
            return service
    if "tansu" in cmd or " broker " in f" {cmd} ":
        return "broker"
    if "postgres" in process.name() or "postgres" in cmd:
        return "postgresql"
    return "supervisor" if "cli up" in cmd else "other"


def _cpu(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
        return times.user + times.system
    except psutil.Error:
        return 0.0


def _at_rest(pid: int, kafka_port: int) -> dict[str, Any]:
    """CPU per role over REST_SECONDS (cores), memory, broker connections per service."""
    before = {p.pid: (p, _role(p), _cpu(p)) for p in _tree(pid)}
    time.sleep(REST_SECONDS)
    cores: dict[str, float] = {}
    for process in _tree(pid):
        _, role, start = before.get(process.pid, (process, _role(process), 0.0))
        cores[role] = cores.get(role, 0.0) + (_cpu(process) - start) / REST_SECONDS
    rss: dict[str, float] = {}
    links: dict[str, int] = {}
    for process in _tree(pid):
        role = _role(process)
        try:
            rss[role] = rss.get(role, 0.0) + process.memory_info().rss / 2**20
            if role in SERVICES:
                conns = process.net_connections(kind="tcp")
                links[role] = sum(1 for c in conns if c.raddr and c.raddr.port == kafka_port)
        except psutil.Error:
            continue
    return {
        "seconds": REST_SECONDS,
        "cores": {k: round(v, 4) for k, v in sorted(cores.items())},
        "cores_total": round(sum(cores.values()), 4),
        "rss_mib": {k: round(v, 1) for k, v in sorted(rss.items())},
        "broker_connections": dict(sorted(links.items())),
    }


def _hold_delays(urls: dict[str, str], seeded: dict[str, Any]) -> dict[str, Any]:
    """HOLDS holds, one every HOLD_EVERY s: from each 201 to the hold on the customer's timeline (ms), the
    timeline asked every 2 ms on a kept-open connection."""
    delays = []
    with httpx.Client(headers=seeded["consultant"], timeout=10) as client:
        for i in range(HOLDS):
            customer, unit = seeded["customers"][i % 3], seeded["units"][i]
            answer = client.post(f"{urls['inventory']}/v1/units/{unit}/holds", json={"customer_id": customer})
            created = time.perf_counter()
            if answer.status_code != 201:
                raise RuntimeError(f"idle bench: hold answered {answer.status_code} {answer.text[:200]}")
            timeline = f"{urls['leads']}/v1/customers/{customer}/timeline"
            hold = answer.json()["hold_id"]
            _wait(lambda: _shows(client, timeline, hold), 10, "hold on the timeline", every=0.002)  # noqa: B023
            delays.append((time.perf_counter() - created) * 1000)
            time.sleep(max(0.0, HOLD_EVERY - (time.perf_counter() - created)))
    ordered = sorted(delays)
    return {"holds": HOLDS, "p50_ms": round(ordered[len(ordered) // 2], 1), "max_ms": round(ordered[-1], 1)}


def _shows(client: httpx.Client, url: str, hold_id: str) -> bool:
    entries = client.get(url).json().get("timeline", [])
    return any(e.get("detail", {}).get("hold_id") == hold_id for e in entries)
