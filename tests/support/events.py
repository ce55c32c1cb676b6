"""The log events syncd emits, found in its source (AST), and docs/events.md kept in step.

``python -m tests.support.events`` rewrites the generated columns of docs/events.md
(level, fields, modules), keeping each event's hand-written meaning; the test
``tests/unit/test_events_doc.py`` fails when the file and the code disagree.
Scanned: every structlog call ``<logger>.<level>("event", key=...)`` under syncd/,
except the emulator (its own component, plain stdlib logging). Fields bound with
``x = log.bind(...)`` in the same function count as fields of ``x``'s events.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "events.md"
LEVELS = frozenset({"debug", "info", "warning", "error", "exception", "critical"})
_ROW = re.compile(r"^\| `([a-z0-9_]+)` \| ([^|]*) \| ([^|]*) \| ([^|]*) \| ([^|]*) \|$")
_HEAD = "| event | level | fields | module | meaning |\n|---|---|---|---|---|\n"
_MARK = "<!-- generated table: python -m tests.support.events rewrites it -->\n"


@dataclass
class Event:
    """One event name with every level, field and module it is logged with."""

    levels: set[str] = field(default_factory=set)
    fields: set[str] = field(default_factory=set)
    modules: set[str] = field(default_factory=set)

    def columns(self) -> tuple[str, str, str]:
        """The generated cells: levels, fields, modules."""
        return (
            ", ".join(sorted(self.levels)),
            ", ".join(f"`{f}`" for f in sorted(self.fields)),
            ", ".join(sorted(self.modules)),
        )


def _names(arg: ast.expr) -> list[str]:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return [arg.value]
    if isinstance(arg, ast.IfExp):
        return [*_names(arg.body), *_names(arg.orelse)]
    return []


def _bound(func: ast.AST) -> dict[str, set[str]]:
    """Names assigned from ``....bind(k=...)`` in one function, with their keys."""
    found: dict[str, set[str]] = {}
    for node in ast.walk(func):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Attribute)
            and node.value.func.attr == "bind"
        ):
            keys = {k.arg for k in node.value.keywords if k.arg}
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = keys
    return found


def scan(package: Path = ROOT / "syncd") -> dict[str, Event]:
    """Every event logged under ``package``."""
    events: dict[str, Event] = {}
    for path in sorted(package.rglob("*.py")):
        if "emulator" in path.relative_to(package).parts:
            continue
        module = ".".join(path.relative_to(package.parent).with_suffix("").parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        scopes = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        bound_by_call: dict[int, set[str]] = {}
        for scope in scopes:
            bound = _bound(scope)
            for node in ast.walk(scope):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                    owner = node.func.value
                    if isinstance(owner, ast.Name) and owner.id in bound:
                        bound_by_call[id(node)] = bound[owner.id]
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in LEVELS
                and node.args
            ):
                continue
            for name in _names(node.args[0]):
                event = events.setdefault(name, Event())
                event.levels.add(node.func.attr)
                event.modules.add(module)
                event.fields |= {k.arg for k in node.keywords if k.arg}
                event.fields |= bound_by_call.get(id(node), set())
    return events


def documented(text: str) -> dict[str, tuple[str, str, str, str]]:
    """{event: (levels, fields, modules, meaning)} from the doc's table."""
    rows = {}
    for line in text.splitlines():
        match = _ROW.match(line)
        if match:
            name, *cells = (c.strip() for c in match.groups())
            rows[name] = (cells[0], cells[1], cells[2], cells[3])
    return rows


def render(text: str, events: dict[str, Event]) -> str:
    """The doc with its table regenerated; meanings kept (new events: "TODO")."""
    meanings = {name: row[3] for name, row in documented(text).items()}
    lines = [
        f"| `{name}` | {' | '.join(event.columns())} | {meanings.get(name) or 'TODO'} |"
        for name, event in sorted(events.items())
    ]
    intro = text.split(_MARK, 1)[0] if _MARK in text else text
    return intro + _MARK + _HEAD + "\n".join(lines) + "\n"


if __name__ == "__main__":
    DOC.write_text(render(DOC.read_text(encoding="utf-8"), scan()), encoding="utf-8")
    sys.exit(0)
