"""JSON log lines with snake_case event keys and the correlation id of the current work."""

from __future__ import annotations

import contextvars
import logging
import os
import random
import sys
from typing import Any

import orjson

correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
_service: contextvars.ContextVar[str] = contextvars.ContextVar("service", default="estate")

_logger = logging.getLogger("estate")
_ids = random.Random(int.from_bytes(os.urandom(16), "big"))  # ids to follow work by, not secrets: no system call


def new_correlation_id() -> str:
    """A fresh correlation id in UUID (version 4) form, without a system call per request (issue 13: os.urandom
    showed in the hold storm's profile)."""
    h = f"{_ids.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, service, event, correlation_id, and the fields."""

    def format(self, record: logging.LogRecord) -> str:
        body: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "service": _service.get(),
            "event": record.getMessage(),
            "correlation_id": correlation_id.get(),
        }
        body.update(getattr(record, "fields", {}))
        if record.exc_info:
            body["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(body, default=str).decode()


def configure(service: str, level: str = "INFO") -> None:
    """Send JSON lines to stderr for this process."""
    _service.set(service)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("aiokafka").setLevel("WARNING")
    logging.getLogger("uvicorn.access").setLevel("WARNING")


def log(event: str, level: int = logging.INFO, exc_info: bool = False, **fields: Any) -> None:
    """Log `event` (a snake_case key) with structured fields."""
    _logger.log(level, event, extra={"fields": fields}, exc_info=exc_info)
