"""Wiring of the notifications service."""

from __future__ import annotations

from shared.runtime import ServiceSpec


def build_spec() -> ServiceSpec:
    """What the notifications service serves, consumes and publishes."""
    return ServiceSpec(name="notifications")
