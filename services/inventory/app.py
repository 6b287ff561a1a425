"""Wiring of the inventory service."""

from __future__ import annotations

from shared.runtime import ServiceSpec


def build_spec() -> ServiceSpec:
    """What the inventory service serves, consumes and publishes."""
    return ServiceSpec(name="inventory")
