"""The embedded PostgreSQL dies with the process that started it, even when that one is SIGKILLed as root
(the death signal must be armed after PostgreSQL's switch to its own user, or it is lost)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap

from tests.support.polling import wait_for

STARTER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from shared.tools.embedded import EmbeddedPostgres, free_port
    pg = EmbeddedPostgres(Path(sys.argv[1]), free_port())
    pg.start()
    print(pg.process.pid, flush=True)
    time.sleep(600)
""")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie has exited: only its entry is left
        return stat.read().split()[2] != "Z"


def test_postgres_started_by_a_process_that_is_sigkilled_does_not_outlive_it() -> None:
    with tempfile.TemporaryDirectory(prefix="estate-orphan-") as folder:
        os.chmod(folder, 0o755)
        parent = subprocess.Popen([sys.executable, "-c", STARTER, folder], stdout=subprocess.PIPE, text=True)
        postgres_pid = 0
        try:
            postgres_pid = int(parent.stdout.readline())
            assert _alive(postgres_pid)
            parent.send_signal(signal.SIGKILL)
            parent.wait(10)
            wait_for(lambda: not _alive(postgres_pid), timeout=30, what="PostgreSQL to stop after its parent died")
        finally:
            if parent.poll() is None:
                parent.kill()
            if postgres_pid and _alive(postgres_pid):  # the failure is reported; do not leave the orphan behind
                os.kill(postgres_pid, signal.SIGKILL)
