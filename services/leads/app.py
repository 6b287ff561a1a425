"""Wiring of the leads service."""

from __future__ import annotations

from shared.runtime import ServiceSpec


def build_spec() -> ServiceSpec:
    """What the leads service serves, consumes and publishes."""
    return ServiceSpec(name="leads")
