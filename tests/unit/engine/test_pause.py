"""``PauseGate``: the paused folders, and the pool held while every folder is paused, read
from a real journal."""

from __future__ import annotations

from pathlib import Path

from structlog.testing import capture_logs

from syncd.engine.pause import REFRESH_S, PauseGate
from syncd.journal import Journal
from tests.support.fake_clock import FakeClock


def test_gate_follows_the_journal_at_most_once_per_refresh(tmp_path: Path) -> None:
    """Held once every folder is paused (seen after REFRESH_S), free when one is not or it ends."""
    clock = FakeClock()
    with Journal.open(tmp_path / "j.sqlite3", clock=clock) as journal:
        gate = PauseGate(journal, ["a", "b"], clock)
        assert not gate.held()
        journal.state.set_paused_until("a", clock.now_ms() + 60_000)
        clock.advance(int(REFRESH_S * 1000))
        assert not gate.held()  # "b" still runs
        assert gate.paused() == {"a"}
        journal.state.set_paused_until("b", clock.now_ms() + 10_000)
        assert not gate.held()  # not re-read within REFRESH_S
        clock.advance(int(REFRESH_S * 1000))
        with capture_logs() as logs:
            assert gate.held()
            clock.advance(10_000)
            assert not gate.held()  # "b"'s pause ended by itself
            assert gate.paused() == {"a"}
        assert [(e["event"], e.get("folder")) for e in logs] == [
            ("folder_paused", "b"),
            ("uploads_paused", None),
            ("folder_resumed", "b"),
            ("uploads_resumed", None),
        ]
