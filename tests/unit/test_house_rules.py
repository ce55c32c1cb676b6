"""House rules the tests themselves must follow, checked over every test file."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def functions_in(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    """Every ``test*`` function defined in ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
    ]


def test_every_test_says_what_it_checks() -> None:
    """Every test function in tests/ has a one-line docstring saying what it checks."""
    files = sorted(TESTS.rglob("test_*.py"))
    assert len(files) > 50
    missing = [
        f"{path.relative_to(TESTS)}:{node.lineno} {node.name}"
        for path in files
        for node in functions_in(path)
        if len((ast.get_docstring(node) or "").strip().splitlines()) != 1
    ]
    assert missing == []
