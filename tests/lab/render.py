"""Render the lab's results file into the scorecard table of docs/reliability.md.

``python -m tests.lab.render [RESULTS] [DOC]`` (or ``pytest tests/lab -m lab --lab-render``)
replaces the lines between the ``lab-table`` markers of DOC with one row per test.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

BEGIN = "<!-- lab-table:begin -->"
END = "<!-- lab-table:end -->"
DEFAULT_RESULTS = Path("bench/results/lab.json")
DEFAULT_DOC = Path("docs/reliability.md")


def cell(text: object) -> str:
    """Text safe inside a markdown table cell."""
    return str(text).replace("|", "/").replace("\n", " ")


def figures(values: dict[str, Any]) -> str:
    """``name: value`` pairs joined for one cell."""
    return "; ".join(f"{k}: {v}" for k, v in values.items())


def table(rows: dict[str, Any]) -> str:
    """The markdown table, sorted by scenario."""
    ordered = sorted(rows.values(), key=lambda r: (r.get("scenario") or "~", r["test"]))
    runs = {(r["seed"], r["scale"], r["cycles"]) for r in ordered}
    whens = sorted(r["when"] for r in ordered)
    head = [
        f"Last run: {whens[0]} to {whens[-1]}" if whens else "No run yet.",
        "; ".join(f"seed {s}, scale {sc}, cycles {c}" for s, sc, c in sorted(runs)) + ".",
        "",
        "| Scenario | What is checked | Figures (last run) | Result |",
        "|---|---|---|---|",
    ]
    body = [
        f"| {cell(r.get('scenario') or r['test'])} | {cell(r.get('checked', ''))} "
        f"| {cell(figures(r.get('figures', {})))} | **{cell(r['outcome'])}** |"
        for r in ordered
    ]
    return "\n".join(head + body)


def render(results: Path = DEFAULT_RESULTS, doc: Path = DEFAULT_DOC) -> None:
    """Rewrite the table between the markers of ``doc`` from ``results``."""
    rows = json.loads(results.read_text()) if results.exists() else {}
    text = doc.read_text()
    before, _, rest = text.partition(BEGIN)
    _, _, after = rest.partition(END)
    doc.write_text(f"{before}{BEGIN}\n{table(rows)}\n{END}{after}")


if __name__ == "__main__":
    args = sys.argv[1:]
    render(
        Path(args[0]) if args else DEFAULT_RESULTS,
        Path(args[1]) if len(args) > 1 else DEFAULT_DOC,
    )
