"""A service as a web process: the FastAPI app with its lifespan (the runtime), the platform routes (/health,
/metrics, /asyncapi) and uvicorn."""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from faststream.specification import AsyncAPI
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from shared.http.hot_routes import with_hot_routes
from shared.http.idempotency import IdempotentPosts
from shared.http.middleware import InputGuard, ObservedApp
from shared.http.operations import document_roles, operation_id
from shared.http.refusals import ERROR_RESPONSES, document_errors, install_error_handlers
from shared.messaging.consuming import describe_broker
from shared.runtime import logs
from shared.runtime.logs import log
from shared.runtime.service import Runtime, ServiceSpec
from shared.runtime.settings import Settings, get_settings


def asyncapi_document(spec: ServiceSpec, settings: Settings | None = None) -> dict:
    """The AsyncAPI document (FastStream-generated) of what the service publishes and consumes."""
    broker = describe_broker(spec, settings or Settings(kafka="localhost:9092"))
    doc = AsyncAPI(broker, title=f"estate {spec.name}", version="1.0.0", description=spec.description)
    return doc.to_specification().to_jsonable()


# FastAPI's own OpenTelemetry stays off (we export Prometheus): its check of the providers read the environment on
# every request (issue 13: 7 % of the hold storm's samples).
_OFF: Any = {"tracing": False, "metrics": False, "logs": False}
# Issue 20: an operation's id is its function's name (`hold_unit`), what a generated client calls it.
_APP_OPTIONS: Any = {"version": "1.0.0", "telemetry": _OFF, "generate_unique_id_function": operation_id}


def create_app(spec: ServiceSpec, settings: Settings | None = None) -> FastAPI:
    """The FastAPI app of a service, with the runtime started in its lifespan."""
    settings = settings or get_settings()
    runtime = Runtime(spec, settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        # Issue 13: what start-up made lives as long as the process; frozen, the collector's full passes no
        # longer walk it (they stalled every request in flight for tens of milliseconds under a storm).
        if settings.gc_freeze:
            gc.collect()
            gc.freeze()
        log("service_started", service=spec.name)
        yield
        await runtime.stop()

    app = FastAPI(title=f"estate {spec.name}", lifespan=lifespan, description=spec.description, **_APP_OPTIONS)
    app.state.settings, app.state.runtime = settings, runtime
    app.state.reach = runtime.reach  # a group manager's projects, from this service's copy of the group's tree
    install_error_handlers(app)
    _add_platform_routes(app, spec, settings, runtime)
    _add_service_routes(app, spec)
    _add_middleware(app, spec, settings)
    return app


def _add_service_routes(app: FastAPI, spec: ServiceSpec) -> None:
    """The service's routers, each operation documented with its error answers and who may call it."""
    for router in spec.routers:
        app.include_router(router, responses=ERROR_RESPONSES)
    document_errors(app)
    document_roles(app, spec.roles)


def _add_middleware(app: FastAPI, spec: ServiceSpec, settings: Settings) -> None:
    """Hot routes (before it all) → ObservedApp → InputGuard → IdempotentPosts → routes (last added runs first)."""
    app.add_middleware(
        IdempotentPosts,
        get_pool=lambda: app.state.runtime.pool,  # the app's runtime at request time
        secret=settings.jwt_secret,
        ttl_hours=settings.idempotency_ttl_hours,
    )
    app.add_middleware(InputGuard, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(ObservedApp, service=spec.name)
    if settings.hot_routes and spec.hot_routes:
        with_hot_routes(app, spec.hot_routes, spec.name, settings.max_body_bytes)


def _add_platform_routes(app: FastAPI, spec: ServiceSpec, settings: Settings, runtime: Runtime) -> None:
    @app.get("/health", include_in_schema=False)
    async def health() -> JSONResponse:
        ok, checks = await runtime.health()
        if not ok:
            return JSONResponse({"status": "unavailable", "reason": checks}, status_code=503)
        if not runtime.consumers_ready():
            waiting = sorted({t.name for t in spec.handlers} - runtime.joined)
            return JSONResponse({"status": "starting", "reason": {"consumers_joining": waiting}}, status_code=503)
        return JSONResponse({"status": "ok"})

    @app.get("/metrics", include_in_schema=False)
    async def metrics_text() -> PlainTextResponse:
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    document = asyncapi_document(spec, settings)

    @app.get("/asyncapi", include_in_schema=False)
    async def asyncapi() -> JSONResponse:
        return JSONResponse(document)


def load_spec(service: str) -> ServiceSpec:
    """The ServiceSpec that `services/<service>/app.py` builds."""
    return importlib.import_module(f"services.{service}.app").build_spec()


def serve(service: str) -> None:
    """`estate serve NAME`: run one service's HTTP server, relay and consumers until stopped."""
    settings = get_settings()
    logs.configure(service, settings.log_level)
    if settings.jwt_secret == "dev-secret-change-me":
        log("jwt_secret_is_development_default", level=30)
    elif len(settings.jwt_secret.encode()) < 32:
        log("jwt_secret_shorter_than_32_bytes", level=30)
    options: dict[str, Any] = dict(
        host=settings.host,
        port=settings.service_port(service),
        log_config=None,
        access_log=False,
        loop="uvloop",
        http="httptools",
        server_header=False,  # no "server: uvicorn" on every answer: nothing a client needs
        lifespan="on",
    )
    if settings.workers > 1:  # several processes share the port; the relay lock keeps one publisher
        os.environ["ESTATE_SERVICE"] = service
        uvicorn.run("shared.runtime.serving:app_from_env", factory=True, workers=settings.workers, **options)
        return
    uvicorn.Server(uvicorn.Config(create_app(load_spec(service), settings), **options)).run()


def app_from_env() -> FastAPI:
    """The app of ESTATE_SERVICE, for uvicorn's worker processes."""
    settings = get_settings()
    logs.configure(os.environ["ESTATE_SERVICE"], settings.log_level)
    return create_app(load_spec(os.environ["ESTATE_SERVICE"]), settings)
