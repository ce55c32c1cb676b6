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
    """bench/compare.py --quick uploads and restores small trees with syncd, verified, tabled."""
    out = tmp_path / "bench.json"
    argv = [sys.executable, str(REPO / "bench" / "compare.py"), "--quick", "--tools", "syncd"]
    argv += ["--scenarios", "small,restore-medium"]
    proc = subprocess.run(
        [*argv, "--json", str(out), "--chart", str(tmp_path / "c.png")],
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
    assert "restore into an empty dir" in proc.stdout
    assert "and every restored tree the source" in proc.stdout
    restore = data["scenarios"]["restore-medium"]
    (restored,) = restore["results"]
    assert restored["step"] == "restore"
    assert restored["ok"]
    assert restored["runs"][0]["bytes_out"] == restore["bytes"]  # every byte came down once
    assert len(restore["upload_s"]) == 1


@pytest.mark.integration
def test_compare_quick_new_scenarios_verify_and_report_their_references(tmp_path: Path) -> None:
    """Latency, many-files, big-file and daemon scenarios run, verify and print their yardsticks."""
    out = tmp_path / "bench.json"
    argv = [sys.executable, str(REPO / "bench" / "compare.py"), "--quick", "--tools", "syncd"]
    argv += ["--scenarios", "lat30,many,huge,daemon", "--many-files", "50", "--huge-mib", "6"]
    argv += ["--daemon-files", "3", "--append-seconds", "0.5", "--daemon-idle", "0.5"]
    argv += ["--json", str(out)]
    argv += ["--chart", str(tmp_path / "chart.png")]
    proc = subprocess.run(
        argv, capture_output=True, text=True, timeout=110, check=False, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "30 ms injected on every B2 call" in proc.stdout
    assert "stat walk (os.scandir + stat" in proc.stdout
    assert "hashlib.sha1 rate" in proc.stdout
    assert "close -> newest version on B2 (uploadTimestamp): p50" in proc.stdout
    assert "verified: after every step" in proc.stdout
    assert (tmp_path / "chart.png").exists() or "matplotlib is not installed" in proc.stdout
    data = json.loads(out.read_text())
    assert set(data["scenarios"]) == {"lat30", "many", "huge"}
    assert data["scenarios"]["lat30"]["latency_ms"] == 30
    assert data["scenarios"]["many"]["stat_walk"]["files"] == 50
    assert data["sha1_mib_per_s"] > 0
    assert len(data["daemon"]["latencies_s"]) == len(data["daemon"]["stored_s"]) == 3
    assert data["daemon"]["write_versions"] == 3
    assert data["daemon"]["versions"] >= 1
    assert not data["daemon"]["problems"]


@pytest.mark.integration
def test_nochange_builds_once_then_reuses_its_tree(tmp_path: Path) -> None:
    """bench/nochange.py uploads a tree once, then times no-change runs on the kept state."""
    argv = [sys.executable, str(REPO / "bench" / "nochange.py"), "--files", "20"]
    argv += ["--work", str(tmp_path / "kept"), "--runs", "1"]
    outputs = []
    for _ in range(2):
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=110, check=False, cwd=tmp_path
        )
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        outputs.append(proc.stdout)
    assert "initial upload:" in outputs[0]
    assert "initial upload" not in outputs[1]  # the tree, journal and bucket were kept
    assert all("x the stat walk" in out and "exit 0" in out for out in outputs)


@pytest.mark.integration
def test_idle_measures_a_quiet_daemon_and_verifies_the_bucket(tmp_path: Path) -> None:
    """bench/idle.py builds a small tree, measures the settled daemon, verifies, stops it."""
    out = tmp_path / "idle.json"
    argv = [sys.executable, str(REPO / "bench" / "idle.py"), "--files", "200", "--seconds", "2"]
    argv += ["--work", str(tmp_path / "kept"), "--json", str(out)]
    proc = subprocess.run(
        argv, capture_output=True, text=True, timeout=110, check=False, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "verified: the prefix mirrors the tree" in proc.stdout
    data = json.loads(out.read_text())
    assert data["problems"] == []
    assert data["exit_code"] == 0
    assert data["journal_rows"]["files"] == 200
    assert data["watches"] == 3  # the root and its two directories
    assert data["rss_mib"] > 0
    assert data["hwm_mib"] >= data["rss_mib"]
