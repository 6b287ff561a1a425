"""Board streams open in this process, counted per holder (issue 19): a board link, and a person (a token's `sub`),
each hold a few streams at once (`ESTATE_BOARD_STREAMS_PER_LINK`, `ESTATE_BOARD_STREAMS_PER_SUBJECT`). A stream
takes its slots before it starts and gives them back however it ends. Each process counts its own streams."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from services.inventory.domain.board import TooManyStreams, check_stream_room
from shared.runtime.logs import log


class StreamSlots:
    """How many streams each holder has open now."""

    def __init__(self) -> None:
        self.open: dict[str, int] = {}

    def take(self, holders: dict[str, tuple[str, int]]) -> Callable[[], None]:
        """A slot for each holder (key → (what to call it, cap)), all or none; `TooManyStreams` when one is full.
        Returns the release: call it once when the stream ends (a second call does nothing)."""
        for key, (name, cap) in holders.items():
            try:
                check_stream_room(name, self.open.get(key, 0), cap)
            except TooManyStreams:
                log("board_stream_refused", holder=name, cap=cap)
                raise
        for key in holders:
            self.open[key] = self.open.get(key, 0) + 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                for key in holders:
                    self.open[key] -= 1
                    if not self.open[key]:
                        del self.open[key]

        return release


def holders(settings: Any, link: str | None, subject: str | None) -> dict[str, tuple[str, int]]:
    """Whose slots a stream takes: its board link's (kept by digest, not the secret itself) or its person's."""
    if link is not None:
        digest = hashlib.sha256(link.encode()).hexdigest()
        return {f"link:{digest}": ("this board link", settings.board_streams_per_link)}
    return {f"sub:{subject}": (f"person {subject}", settings.board_streams_per_subject)}


def slots_of(runtime: Any) -> StreamSlots:
    """The process's one count (made by the first stream)."""
    slots = getattr(runtime, "board_stream_slots", None)
    if slots is None:
        slots = runtime.board_stream_slots = StreamSlots()
    return slots
