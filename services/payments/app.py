"""Wiring of the payments service."""

from __future__ import annotations

from shared.runtime import ServiceSpec


def build_spec() -> ServiceSpec:
    """What the payments service serves, consumes and publishes."""
    return ServiceSpec(name="payments")
