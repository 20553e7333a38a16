"""The domain is pure: no Django, no web framework, no database (import-linter enforces it too)."""

import ast
from pathlib import Path

import tangguh.domain

DOMAIN = Path(tangguh.domain.__file__).resolve().parent
FORBIDDEN = ("django", "ninja", "psycopg", "requests", "httpx", "socket", "sqlite3")


def _imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_domain_module_imports_django_or_io_libraries():
    offenders = {
        path.name: sorted(_imported_roots(path) & set(FORBIDDEN))
        for path in sorted(DOMAIN.glob("*.py"))
        if _imported_roots(path) & set(FORBIDDEN)
    }
    assert offenders == {}
