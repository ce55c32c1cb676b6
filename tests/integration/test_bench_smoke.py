"""The comparison benchmark still runs: one small tree, syncd only. No timing is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.integration
def test_compare_quick_runs_and_prints_a_table(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    argv = [sys.executable, str(REPO / "bench" / "compare.py"), "--quick", "--tools", "syncd"]
    proc = subprocess.run(
        [*argv, "--scenarios", "small", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Scenario small" in proc.stdout
    assert "no-change re-run" in proc.stdout
    assert "verified: after every step" in proc.stdout
    data = json.loads(out.read_text())
    steps = {r["step"]: r for r in data["scenarios"]["small"]["results"]}
    assert set(steps) == {"initial", "unchanged", "changed"}
    assert all(r["ok"] for r in steps.values())
    assert steps["unchanged"]["classes"]["A"] == 0  # nothing uploaded when nothing changed
