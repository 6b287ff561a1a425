"""The event envelope every Kafka value carries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field

from shared.kernel.clock import now_utc


class Envelope(BaseModel):
    """id, type, version, occurred_at, producer, project_id, correlation_id, causation_id, data."""

    model_config = ConfigDict(extra="allow")

    id: uuid.UUID
    type: str
    version: int = 1
    occurred_at: datetime
    producer: str
    project_id: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    def to_bytes(self) -> bytes:
        """JSON bytes for the Kafka value."""
        return orjson.dumps(self.model_dump(mode="json"))

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        """Parse a Kafka value; raises ValueError (pydantic ValidationError or JSON error)."""
        return cls.model_validate(orjson.loads(raw))


def new_envelope(
    event_type: str,
    data: dict[str, Any],
    *,
    producer: str,
    project_id: str | None,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    version: int = 1,
) -> Envelope:
    """A fresh envelope with a new id, stamped now."""
    return Envelope(
        id=uuid.uuid4(),
        type=event_type,
        version=version,
        occurred_at=now_utc(),
        producer=producer,
        project_id=project_id,
        correlation_id=correlation_id,
        causation_id=causation_id,
        data=data,
    )
