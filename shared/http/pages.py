"""The two HTML pages for a screen (the sales-control board, the group dashboard): one head for both, and one page
that says a link is gone (expired, tampered or missing), each service's title, colours and words filled in."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

_HERE = Path(__file__).parent
_HEAD = (_HERE / "page_head.html").read_text(encoding="utf-8")
_GONE = (_HERE / "page_gone.html").read_text(encoding="utf-8")


def _fill(template: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


def page(title: str, body_file: Path) -> str:
    """A page: the shared head with `title`, then the rest of it from `body_file` (its style and body)."""
    return _fill(_HEAD, {"title": title}) + body_file.read_text(encoding="utf-8")


@dataclass(frozen=True)
class GonePage:
    """How a service's "link gone" page looks: its title, colours and where to ask for a new link."""

    title: str
    background: str
    color: str
    h1_size: str
    h1_color: str | None
    p_size: str
    p_color: str
    ask: str

    def render(self, zh: str, en: str) -> str:
        """The page for one reason, in Chinese and English (escaped)."""
        values = {
            "background": self.background,
            "color": self.color,
            "h1_size": self.h1_size,
            "h1_color": f" color: {self.h1_color};" if self.h1_color else "",
            "p_size": self.p_size,
            "p_color": self.p_color,
            "ask": self.ask,
            "zh": html.escape(zh),
            "en": html.escape(en),
        }
        return _fill(_HEAD, {"title": self.title}) + _fill(_GONE, values)
