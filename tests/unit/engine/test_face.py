"""The engine's face: every exported name resolves lazily, the type checker sees the same
names, and the CLI's light names never load the workers or the journal."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys

import pytest

import syncd.engine as face


def _type_checking_imports() -> dict[str, tuple[str, str]]:
    """The names the TYPE_CHECKING block of syncd/engine/__init__.py imports."""
    tree = ast.parse(inspect.getsource(face))
    block = next(
        node
        for node in tree.body
        if isinstance(node, ast.If)
        and isinstance(node.test, ast.Name)
        and node.test.id == "TYPE_CHECKING"
    )
    found: dict[str, tuple[str, str]] = {}
    for node in block.body:
        assert isinstance(node, ast.ImportFrom)
        assert node.module is not None
        for alias in node.names:
            found[alias.asname or alias.name] = (node.module.rsplit(".", 1)[1], alias.name)
    return found


def test_the_lazy_map_the_type_checker_view_and_all_agree() -> None:
    """_EXPORTS, the TYPE_CHECKING imports and __all__ list the same names."""
    assert _type_checking_imports() == face._EXPORTS
    assert sorted(face.__all__) == sorted(face._EXPORTS)


@pytest.mark.parametrize("name", sorted(face._EXPORTS))
def test_each_name_is_the_object_its_module_defines(name: str) -> None:
    """syncd.engine.X is the very object of the module that defines X."""
    module, attr = face._EXPORTS[name]
    assert getattr(face, name) is getattr(importlib.import_module(f"syncd.engine.{module}"), attr)


def test_an_unknown_name_is_an_attribute_error() -> None:
    """A name the face does not export raises AttributeError, as for any module."""
    with pytest.raises(AttributeError, match="no_such_name"):
        _ = face.no_such_name  # type: ignore[attr-defined]


def test_the_cli_names_load_neither_the_workers_nor_the_journal() -> None:
    """Importing RunReport and parse_time through the face keeps status and ls fast."""
    code = (
        "import sys\n"
        "from syncd.engine import RunReport, parse_time\n"
        "heavy = ('syncd.engine.worker', 'syncd.journal', 'syncd.watch', 'sqlalchemy')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
