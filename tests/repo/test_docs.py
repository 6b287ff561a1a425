"""Docs a newcomer can trust (issue 20): internals.md names every module of services/ and shared/ and only modules
that exist (its index is generated from the modules' docstrings and must be current), and the README's picture shows
the hand-off as it travels: from the broker to notifications, which signs it to the property company as a webhook
and takes the company's signed acknowledgement."""

from __future__ import annotations

import re
from pathlib import Path

from shared.tools import module_index

ROOT = Path(__file__).resolve().parents[2]


def test_the_module_index_of_internals_is_current() -> None:
    page = module_index.DOC.read_text(encoding="utf-8")
    assert module_index.current(page) == module_index.render(), "run `python -m shared.tools.module_index`"


def test_internals_names_only_modules_that_exist() -> None:
    page = (ROOT / "docs" / "internals.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:services|shared)/[\w/]+\.py)`", page))
    assert named and [path for path in sorted(named) if not (ROOT / path).exists()] == []


def test_every_module_is_in_the_index() -> None:
    index = module_index.render()
    modules = [p for folder in ("services", "shared") for p in sorted((ROOT / folder).rglob("*.py"))]
    tops = {ROOT / "services", ROOT / "shared", *(ROOT / "services").glob("*/")}  # their __init__ says nothing more
    missing = [str(p.relative_to(ROOT)) for p in modules if f"`{p.relative_to(ROOT)}`" not in index]
    assert missing == [str(p.relative_to(ROOT)) for p in modules if p.name == "__init__.py" and p.parent in tops]


def test_the_readme_shows_the_hand_off_signed_by_notifications() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    picture = readme[readme.index("```mermaid") : readme.index("```", readme.index("```mermaid") + 3)]
    assert "estate.property.handoff.v1 --> NU" in picture  # the broker hands it to notifications' deliverer
    assert "NU -- signed webhook" in picture and "--> PM" in picture
    assert "PM -- signed acknowledgement --> NA" in picture
    assert "subgraph notifications" in picture and "NA[HTTP api]" in picture
