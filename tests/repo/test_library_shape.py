"""The library a newcomer can find their way in (issue 20): shared/ split by concern into subpackages, each saying in
one line what it is, few modules at the top, and no import cycle between modules — not even one hidden under
`TYPE_CHECKING` (where consuming or the jobs need something of the runtime, they name it with a narrow Protocol)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "shared"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports, wherever the import sits (function bodies and TYPE_CHECKING included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                name = f"{node.module}.{alias.name}"
                found.add(name if name in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found & known


def _graph(root: Path) -> dict[str, set[str]]:
    paths = {_module_name(p): p for p in sorted(root.rglob("*.py"))}
    known = set(paths)
    return {name: _imports(path, known) - {name} for name, path in paths.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                group.append(member)
            if group:
                found.append(sorted([*group, node]))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_module_of_shared_imports_itself_through_others() -> None:
    assert _cycles(_graph(SHARED)) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_at_most_twelve_modules_at_the_top_of_shared() -> None:
    top = [p.name for p in SHARED.glob("*.py") if p.name != "__init__.py"]
    assert len(top) <= 12, top


def test_every_subpackage_says_in_one_line_what_it_is() -> None:
    for package in sorted(p.parent for p in SHARED.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert doc and "\n" not in doc.strip(), f"{package.name}: a one-line docstring"
