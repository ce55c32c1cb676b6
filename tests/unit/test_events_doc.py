"""docs/events.md documents every log event syncd emits, with its level, fields and module."""

from __future__ import annotations

from pathlib import Path

from tests.support.events import DOC, documented, render, scan


def test_every_event_in_the_code_is_documented_with_its_fields() -> None:
    """The doc's table equals the one generated from the source (no missing or stale row)."""
    text = DOC.read_text(encoding="utf-8")
    events = scan()
    rows = documented(text)
    missing = sorted(set(events) - set(rows))
    gone = sorted(set(rows) - set(events))
    assert not missing, f"undocumented events (run python -m tests.support.events): {missing}"
    assert not gone, f"documented events no longer logged: {gone}"
    assert render(text, events) == text, "levels/fields/modules changed: regenerate the table"


def test_every_event_has_a_meaning_and_a_snake_case_name() -> None:
    """Each row says what the event means, and names are stable snake_case."""
    for name, (_levels, _fields, _modules, meaning) in documented(DOC.read_text()).items():
        assert meaning not in ("", "TODO"), name
        assert name.isidentifier(), name
        assert name == name.lower(), name


def test_the_scanner_sees_a_new_event(tmp_path: Path) -> None:
    """A structlog call with a new name and a bound field is found by the scan."""
    package = tmp_path / "syncd"
    package.mkdir()
    (package / "m.py").write_text(
        "def f(log):\n    bound = log.bind(job=1)\n    bound.info('brand_new', size_bytes=3)\n"
    )
    events = scan(package)
    assert set(events) == {"brand_new"}
    assert events["brand_new"].fields == {"job", "size_bytes"}
