"""Webhook test helpers: a property company's receiver on the loopback (plain or TLS), a resolver the test switches,
a certificate authority made on the spot, signed acknowledgements, and the notifications app with its own database."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from shared.http.tokens import make_token
from shared.runtime.settings import Settings
from shared.tools.embedded import free_port
from tests.support.apps import running_app
from tests.support.polling import async_wait_for


class Receiver:
    """A property company's endpoint: verifies every delivery with the secrets it was given; answers as told."""

    def __init__(self, tls: tuple[Path, Path] | None = None) -> None:
        self.secrets: list[str] = []
        self.answers: list[int] = []  # next answers to give (then 200)
        self.slow_once = False
        self.got: list[dict[str, Any]] = []
        self.port = free_port()
        self.tls = tls  # (certificate, key) files: the receiver speaks https
        self.server: uvicorn.Server | None = None
        self._task: asyncio.Task | None = None

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        if self.slow_once:
            self.slow_once = False
            await asyncio.sleep(3)
        verified = [s for s in self.secrets if verifies(s, body, dict(request.headers))]
        self.got.append(
            {
                "id": request.headers["webhook-id"],
                "host": request.headers.get("host"),
                "verified_with": verified,
                "signatures": request.headers.get("webhook-signature", "").split(" "),
                "event": orjson.loads(body),
            }
        )
        return Response(status_code=self.answers.pop(0) if self.answers else 200)

    async def start(self) -> None:
        app = Starlette(routes=[Route("/hook", self.endpoint, methods=["POST"])])
        cert, key = self.tls or (None, None)
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_config=None, ssl_certfile=cert, ssl_keyfile=key
        )
        self.server = uvicorn.Server(config)
        self._task = asyncio.create_task(self.server.serve())
        server = self.server
        await async_wait_for(lambda: _now(server.started), timeout=10, what="receiver listening")

    async def stop(self) -> None:
        if self.server is not None and self._task is not None:
            self.server.should_exit = True
            await asyncio.wait_for(self._task, 10)

    def url(self, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}/hook"

    def delivered(self, event_id: str) -> list[dict]:
        return [g for g in self.got if g["id"] == event_id]


async def _now(value: bool) -> bool:
    return value


def verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
        return True
    except Exception:
        return False


class SwitchableResolver:
    """Stands in for DNS: answers what the test says at the moment, per host (`*` for any), and remembers who asked."""

    def __init__(self, **answers: list[str]) -> None:
        self.answers: dict[str, list[str]] = {"*": ["93.184.216.34"], **answers}
        self.asked: list[str] = []

    def answer(self, addresses: list[str], host: str = "*") -> None:
        self.answers[host] = addresses

    async def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        return list(self.answers.get(host, self.answers["*"]))


def certificate_authority(folder: Path, names: list[str]) -> tuple[tuple[Path, Path], ssl.SSLContext]:
    """A throwaway CA and a server certificate for `names`: the (certificate, key) files for the server and a
    client context that trusts only this CA (host names checked)."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "estate test CA")])
    now = dt.datetime.now(dt.UTC)

    def build(subject: x509.Name, public: Any) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(ca_name)
            .public_key(public)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
        )

    ca = build(ca_name, ca_key.public_key()).add_extension(x509.BasicConstraints(ca=True, path_length=0), True)
    ca_cert = ca.sign(ca_key, hashes.SHA256())
    leaf = build(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]), key.public_key())
    leaf = leaf.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), False)
    cert_path, key_path = folder / "server.pem", folder / "server.key"
    cert_path.write_bytes(leaf.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    client = ssl.create_default_context(cadata=ca_cert.public_bytes(serialization.Encoding.PEM).decode())
    return (cert_path, key_path), client


@asynccontextmanager
async def isolated_notifications(
    settings: Settings, resolver: SwitchableResolver, allow_private: bool
) -> AsyncIterator[SimpleNamespace]:
    """The notifications app on a database of its own (no other test's webhook worker takes its deliveries), its
    consumers off (tests hand it events), endpoint host names resolved by `resolver` at registration and send."""
    from services.notifications.app import build_spec
    from services.notifications.webhooks import api

    tuned = settings.model_copy(
        update={
            "db_prefix": f"{settings.db_prefix}w{uuid.uuid4().hex[:6]}_",
            "webhook_allow_private": allow_private,
            "webhook_timeout_seconds": 1.0,
            "consumers_enabled": False,
        }
    )
    async with running_app(build_spec(resolver=resolver), tuned) as svc:
        svc.app.dependency_overrides[api.host_resolver] = lambda: resolver
        yield svc


def manager_headers(settings: Any, project_id: str, sub: str = "m-1") -> dict[str, str]:
    """A manager's bearer token for one project (who registers endpoints and looks after them)."""
    return {"Authorization": f"Bearer {make_token(settings.jwt_secret, sub, 'manager', [project_id])}"}


def handoff_data(unit_id: str, resident: dict[str, str] | None = None) -> dict[str, Any]:
    """A hand-off's data as leads publishes it (the resident as consent allows)."""
    return {
        "handoff_id": str(uuid.uuid4()),
        "unit_id": unit_id,
        "project": {"code": "P"},
        "unit": {"building": "1", "number": "101"},
        "resident": resident or {"name": "Resident"},
        "handed_over_at": dt.datetime.now(dt.UTC).isoformat(),
    }
