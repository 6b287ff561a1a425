"""The shape the project keeps (issue 9, issue 20): in `services/` and `shared/` no module over 300 lines, no
function over 30, SQL only in `store` modules and `shared/`, no domain-error handling in HTTP modules, HTTP modules
that only parse, call a use case and answer (no vault, no SQL), no module reaching for another's `_private` names,
and every service with the same six parts."""

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


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _private_names_taken(tree: ast.Module) -> list[str]:
    """`from x import _name`, and `module._name` on a name an import bound: another module's private names."""
    imported: set[str] = set()
    taken: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported |= {alias.asname or alias.name for alias in node.names}
            taken += [f"{node.lineno}: from {node.module} import {a.name}" for a in node.names if _is_private(a.name)]
    for node in ast.walk(tree):
        on_an_import = (
            isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in imported
        )
        if on_an_import and _is_private(node.attr):
            taken.append(f"{node.lineno}: {node.value.id}.{node.attr}")
    return sorted(taken, key=lambda line: int(line.split(":")[0]))


PRIVATE_ELSEWHERE: dict[str, set[str]] = {}  # none left: what another module uses is public


def _private_taken_in(path: Path) -> list[str]:
    allowed = PRIVATE_ELSEWHERE.get(_name(path), set())
    taken = _private_names_taken(ast.parse(path.read_text()))
    return [f"{_name(path)}:{t}" for t in taken if t.split(": ", 1)[1] not in allowed]


def test_no_module_takes_another_modules_private_names() -> None:
    """A name another module uses is public (or it moves to where it is used): `_name` stays in its own module."""
    taken = [t for path in CODE for t in _private_taken_in(path)]
    assert not taken, taken


API_MODULES = sorted(
    {
        *ROOT.glob("services/*/api.py"),
        *ROOT.glob("services/*/api/*.py"),
        ROOT / "services/notifications/webhooks/api.py",
    }
)
# What only a use case does with personal data (R18): the vault's and the sealing helpers' calls.
VAULT_CALLS = frozenset(
    {"decrypt", "decrypt_json", "encrypt", "encrypt_json", "phone_hash", "open_text", "seal_text", "seal", "unseal"}
    | {"secret_of", "sealed", "platform_vault"}
)
SQL_METHODS = frozenset({"fetch", "fetchrow", "fetchval", "execute", "executemany", "copy_records_to_table", "cursor"})
SHARED_SQL = frozenset({"require_own_customer", "owner_of", "record_owner"})  # shared/ownership.py's queries


def _called(node: ast.Call) -> str | None:
    return node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)


def _in_a_store(module: str) -> bool:
    return "store" in module.split(".")


def _stray_imports(node: ast.ImportFrom) -> list[str]:
    """What an HTTP module may not import: a store or its functions (a store's types, such as a filter, may be
    named), the database helpers, the vault's helpers, shared.ownership's queries."""
    module, names = node.module or "", [alias.name for alias in node.names]
    stray = [
        n
        for n in names
        if n == "store"
        or (_in_a_store(module) and not n[:1].isupper())
        or module == "shared.db"
        or n in VAULT_CALLS | SHARED_SQL
    ]
    return [f"{node.lineno}: imports {module}.{n}" for n in stray]


def _api_trespasses(tree: ast.Module) -> list[str]:
    """What an HTTP module must leave to the use cases: the vault, and SQL (a connection's queries, a store, the
    database helpers, shared.ownership's queries)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and (called := _called(node)) in VAULT_CALLS | SQL_METHODS | SHARED_SQL:
            found.append(f"{node.lineno}: calls {called}")
        elif isinstance(node, ast.ImportFrom):
            found += _stray_imports(node)
        elif isinstance(node, ast.Import):
            found += [
                f"{node.lineno}: imports {a.name}" for a in node.names if _in_a_store(a.name) or a.name == "shared.db"
            ]
    return sorted(found, key=lambda line: int(line.split(":")[0]))


def test_http_modules_only_parse_call_a_use_case_and_answer() -> None:
    """Issue 20: an api module never opens personal data, never runs SQL and takes no other module's private
    names; access decisions and views are the use cases' (`services/*/use_cases`)."""
    assert len(API_MODULES) > 10
    found = [f"{_name(p)}:{t}" for p in API_MODULES for t in _api_trespasses(ast.parse(p.read_text()))]
    found += [t for p in API_MODULES for t in _private_taken_in(p)]
    assert not found, found


def test_the_shape_checks_catch_what_they_name() -> None:
    """The checks above find the very things they forbid (so a green run means something)."""
    api = ast.parse(
        "from services.leads import store\nfrom services.x.store.customers import customer, UnitFilter\n"
        "from shared.ownership import require_own_customer\nfrom shared.pii import open_text\n"
        "async def route(conn, vault, row):\n    vault.decrypt(row)\n    await conn.fetchrow('SELECT 1')\n"
    )
    assert [t.split(": ")[1] for t in _api_trespasses(api)] == [
        "imports services.leads.store",
        "imports services.x.store.customers.customer",
        "imports shared.ownership.require_own_customer",
        "imports shared.pii.open_text",
        "calls decrypt",
        "calls fetchrow",
    ]
    private = ast.parse("from a.b import _c, d\nimport e\nfrom f import g\ne._h()\ng._i\nself._j\n")
    assert [t.split(": ")[1] for t in _private_names_taken(private)] == ["from a.b import _c", "e._h", "g._i"]


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
