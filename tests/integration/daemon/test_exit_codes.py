"""Exit codes of `syncd sync-now` that the README promises, against the emulator."""

from __future__ import annotations

import pytest

from tests.support.harness import Setup, sync_now, write_config

pytestmark = pytest.mark.integration


def test_capped_account_exits_75(setup: Setup) -> None:
    """With the account over its cap (force_cap_exceeded), sync-now exits 75, not 1."""
    write_config(setup, b2='test_mode = "force_cap_exceeded"')
    (setup.root / "f.txt").write_text("x\n")
    code, summary, err = sync_now(setup)
    assert code == 75, err
    assert summary["exit_code"] == 75
    assert summary["uploaded_files"] == 0
    assert [item["path"] for item in summary["failed"]] == ["f.txt"]
    assert "cap" in summary["paused"][0]
