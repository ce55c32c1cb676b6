"""The effect layer: install into a temp unit dir idempotently, uninstall, status."""

from __future__ import annotations

import stat
from collections.abc import Sequence
from pathlib import Path

import pytest

from syncd.errors import ServiceError
from syncd.service import (
    Change,
    Platform,
    Ran,
    ServiceSpec,
    apply_install,
    apply_uninstall,
    plan_install,
    plan_uninstall,
    read_current,
    read_status,
    unit_paths,
)
from tests.unit.service.conftest import SpecFactory


class FakeManager:
    """Records the commands it is given and answers each with a fixed outcome."""

    def __init__(self, returncode: int = 0, stdout: str = "", stderr: str = "") -> None:
        self.ran: list[tuple[str, ...]] = []
        self.answer = Ran(returncode=returncode, stdout=stdout, stderr=stderr)

    def __call__(self, argv: Sequence[str]) -> Ran:
        self.ran.append(tuple(argv))
        return self.answer


def install(spec: ServiceSpec, unit_dir: Path, run: FakeManager) -> list[Change]:
    """Plan against what is on disk now, apply, and return the per-file changes."""
    plan = plan_install(spec, unit_dir, read_current(unit_paths(spec, unit_dir)), start=True)
    apply_install(plan, run)
    return [f.change for f in plan.files]


def test_install_twice_is_idempotent(make_spec: SpecFactory, tmp_path: Path) -> None:
    """The second install finds the same text: unchanged, and the file is not rewritten."""
    units, spec, run = tmp_path / "units", make_spec(), FakeManager()
    assert install(spec, units, run) == [Change.NEW]
    unit = units / "syncd.service"
    before = unit.stat()
    assert install(spec, units, run) == [Change.UNCHANGED]
    assert unit.stat().st_ino == before.st_ino
    assert unit.stat().st_mtime_ns == before.st_mtime_ns
    assert stat.S_IMODE(unit.stat().st_mode) == 0o644
    assert run.ran[-1] == ("systemctl", "enable", "--now", "syncd.service")


def test_changed_config_rewrites_the_unit(make_spec: SpecFactory, tmp_path: Path) -> None:
    """A new folder in the config changes the unit, which is rewritten in place."""
    units, run = tmp_path / "units", FakeManager()
    install(make_spec(), units, run)
    spec = make_spec(folder_paths=(Path("/srv/new"),))
    assert install(spec, units, run) == [Change.CHANGED]
    assert "ReadWritePaths=-/srv/new" in (units / "syncd.service").read_text()
    assert not list(units.glob(".*.tmp"))


def test_template_install_and_uninstall(make_spec: SpecFactory, tmp_path: Path) -> None:
    """A template instance writes its drop-in; uninstall removes it and keeps the template."""
    units, run, spec = tmp_path / "units", FakeManager(), make_spec(is_template=True)
    install(spec, units, run)
    dropin = units / "syncd@web1.service.d" / "50-syncd-paths.conf"
    assert dropin.is_file()
    present = frozenset(p for p in unit_paths(spec, units) if p.exists())
    apply_uninstall(plan_uninstall(spec, units, present, stop=True), run)
    assert not dropin.parent.exists()
    assert (units / "syncd@.service").is_file()


def test_a_failing_command_is_one_line(make_spec: SpecFactory, tmp_path: Path) -> None:
    """systemctl failing stops install with the command and its last line of output."""
    run = FakeManager(returncode=1, stderr="Failed to connect to bus\nAccess denied\n")
    with pytest.raises(ServiceError, match=r"`systemctl daemon-reload` failed \(exit 1\): Access"):
        install(make_spec(), tmp_path / "units", run)


def test_an_unwritable_unit_dir_is_one_line(make_spec: SpecFactory, tmp_path: Path) -> None:
    """A unit dir that cannot be created is a ServiceError naming it."""
    blocker = tmp_path / "file"
    blocker.write_text("")
    plan = plan_install(make_spec(), blocker / "units", {}, start=False)
    with pytest.raises(ServiceError, match="units: cannot create"):
        apply_install(plan, FakeManager())


def test_status_of_an_absent_unit(make_spec: SpecFactory, tmp_path: Path) -> None:
    """Nothing installed: not installed, not current, manager not asked."""
    found = read_status(make_spec(), tmp_path / "units", None)
    assert not found.is_installed
    assert not found.is_current
    assert found.state == "not queried"


def test_status_of_an_installed_unit(make_spec: SpecFactory, tmp_path: Path) -> None:
    """Installed and current; systemctl is-active's word is the state."""
    units, spec = tmp_path / "units", make_spec()
    install(spec, units, FakeManager())
    found = read_status(spec, units, FakeManager(returncode=3, stdout="inactive\n"))
    assert (found.is_installed, found.is_current, found.state) == (True, True, "inactive")
    assert found.as_dict()["paths"] == [str(units / "syncd.service")]


def test_status_of_an_outdated_unit(make_spec: SpecFactory, tmp_path: Path) -> None:
    """A unit written for other folders is installed but not current."""
    units = tmp_path / "units"
    install(make_spec(), units, FakeManager())
    found = read_status(make_spec(folder_paths=()), units, FakeManager(stdout="active\n"))
    assert found.is_installed
    assert not found.is_current


def test_status_when_the_manager_cannot_answer(make_spec: SpecFactory, tmp_path: Path) -> None:
    """systemctl without a running systemd prints a sentence: the state is unknown."""
    run = FakeManager(returncode=1, stdout="System has not been booted with systemd\n")
    assert read_status(make_spec(), tmp_path, run).state == "unknown"


def test_launchd_status_reads_the_state_line(make_spec: SpecFactory, tmp_path: Path) -> None:
    """launchctl print's "state = running" is the state; a failure means not loaded."""
    spec = make_spec(platform=Platform.LAUNCHD)
    loaded = FakeManager(stdout="gui/501/com.syncd.agent = {\n\tstate = running\n}\n")
    assert read_status(spec, tmp_path, loaded).state == "running"
    assert read_status(spec, tmp_path, FakeManager(returncode=113)).state == "not loaded"
