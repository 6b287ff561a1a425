"""The shape the project keeps (issue 9): in `services/` and `shared/` no module over 300 lines, no function
over 30, SQL only in `store` modules and `shared/`, no domain-error handling in HTTP modules, and every
service with the same six parts."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CODE = sorted([*ROOT.glob("services/**/*.py"), *ROOT.glob("shared/**/*.py")])
SERVICES = ("leads", "inventory", "payments", "notifications")
PARTS = ("domain", "use_cases", "store", "api", "consumers", "app")
SQL_CALL = re.compile(r"\.(fetch|fetchrow|fetchval|execute|executemany)\(")


def _name(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_no_module_is_over_300_lines() -> None:
    long = [f"{_name(p)}: {n}" for p in CODE if (n := len(p.read_text().splitlines())) > 300]
    assert not long, long


def test_no_function_is_over_30_lines() -> None:
    long = []
    for path in CODE:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > 30:
                    long.append(f"{_name(path)}:{node.lineno} {node.name} ({size} lines)")
    assert not long, long


def _in_store(path: Path) -> bool:
    return path.stem == "store" or path.parent.name == "store"


def test_sql_runs_only_in_store_modules_and_shared() -> None:
    stray = [
        _name(p)
        for p in CODE
        if p.parts[len(ROOT.parts)] == "services" and not _in_store(p) and SQL_CALL.search(p.read_text())
    ]
    assert not stray, stray


def test_http_modules_leave_domain_errors_to_the_one_handler() -> None:
    http = [p for p in CODE if p.stem == "api" or p.parent.name == "api"]
    caught = [_name(p) for p in http if re.search(r"except\s*\(?[^:]*DomainError", p.read_text())]
    assert http and not caught, caught


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_six_parts(service: str) -> None:
    folder = ROOT / "services" / service
    missing = [part for part in PARTS if not (folder / f"{part}.py").exists() and not (folder / part).is_dir()]
    assert not missing and (folder / "migrations").is_dir(), missing


def test_test_modules_share_helpers_only_through_tests_support() -> None:
    """A test module never imports another test module (or a conftest): shared helpers live in tests/support."""
    stray = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            if module and re.match(r"tests\.(unit|integration|e2e|conftest)\b", module):
                stray.append(f"{_name(path)} imports {module}")
    assert not stray, stray
