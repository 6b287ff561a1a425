"""A Python client generated from a service's OpenAPI document by openapi-python-client, as a user of the API
would make one (issue 20) — offline: the generator runs in a child process that may open no connection."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

from shared.http.tokens import make_token

GENERATOR_SECONDS = 120
# Run first in the generator's process: any socket it opens or name it resolves, and any program it starts, is
# refused and reported on stderr (a post-hook could reach the network behind our back: there are none).
OFFLINE = """
import sys
def _offline(event, args):
    if event.startswith("socket.") and event != "socket.__new__" or event in ("subprocess.Popen", "os.system"):
        sys.stderr.write(f"offline guard: {event} {args!r}\\n")
        raise PermissionError(f"offline guard: {event}")
sys.addaudithook(_offline)
"""
GENERATE = "from openapi_python_client.cli import app\nsys.argv[0] = 'openapi-python-client'\napp()\n"


def run_offline(code: str, *args: str, timeout: float = GENERATOR_SECONDS) -> subprocess.CompletedProcess[str]:
    """`code` in a child Python whose every attempt to reach a network is refused."""
    return subprocess.run(
        [sys.executable, "-c", OFFLINE + code, *args], capture_output=True, text=True, timeout=timeout, check=False
    )


def generate_client(document: dict[str, Any], package: str, where: Path) -> tuple[ModuleType, str]:
    """Generate package `package` under `where` from `document`, import it, and return it with the generator's
    output (its warnings name what it could not express)."""
    source, config = where / f"{package}.json", where / f"{package}.yaml"
    source.write_text(json.dumps(document), encoding="utf-8")
    config.write_text(f"package_name_override: {package}\npost_hooks: []\n", encoding="utf-8")
    args = ("generate", "--path", str(source), "--meta", "none", "--output-path", str(where / package))
    done = run_offline(GENERATE, *args, "--config", str(config))
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "offline guard" not in output, output
    if str(where) not in sys.path:
        sys.path.insert(0, str(where))
    importlib.invalidate_caches()
    return importlib.import_module(package), output


def operation(client_package: ModuleType, tag: str, operation_id: str) -> ModuleType:
    """The generated module of one operation: `api/<tag>/<operation id>.py`."""
    return importlib.import_module(f"{client_package.__name__}.api.{tag}.{operation_id}")


@dataclass
class Sdk:
    """A generated client package with the document it came from and the app that answers it."""

    package: ModuleType
    document: dict[str, Any]
    app: Any
    secret: str

    @property
    def models(self) -> ModuleType:
        return self.package.models

    def op(self, route: str) -> ModuleType:
        """The generated module of the operation at `route` ("GET /v1/…"), by its tag and id in the document."""
        method, path = route.split(" ", 1)
        found = self.document["paths"][path][method.lower()]
        return operation(self.package, found["tags"][0], found["operationId"])

    def client(self, role: str, project: str = "") -> Any:
        """The generated client with `role`'s token on `project` (none: ""), answered by the app in this process."""
        token = make_token(self.secret, f"{role}-sdk", role, [project] if project else [])
        transport = httpx.ASGITransport(self.app)
        return self.package.AuthenticatedClient(base_url="http://sdk", token=token, httpx_args={"transport": transport})

    def missing_operations(self) -> list[str]:
        """Every operation of the document the generator left without its module."""
        missing = []
        for path, methods in self.document["paths"].items():
            for method in methods:
                try:
                    self.op(f"{method.upper()} {path}")
                except ImportError as exc:
                    missing.append(f"{method.upper()} {path}: {exc}")
        return missing
