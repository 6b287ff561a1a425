"""Channels behind one interface. In development every channel only records what it would send."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Channel(Protocol):
    name: str

    async def send(self, recipient: str, body: str) -> str:
        """Deliver; return a status ("sent", "recorded"); raise on failure."""


@dataclass
class DevelopmentChannel:
    """Records the message (the dispatcher stores it) instead of talking to an SMS/WeChat/email provider."""

    name: str

    async def send(self, recipient: str, body: str) -> str:
        if not recipient:
            raise ValueError("no recipient")
        return "recorded"


CHANNEL_NAMES = ("sms", "wechat", "email", "in_app")


def development_channels() -> dict[str, Channel]:
    return {name: DevelopmentChannel(name) for name in CHANNEL_NAMES}
