"""Planning an install or uninstall is pure: what changes, and which commands run."""

from __future__ import annotations

from pathlib import Path

from syncd.service import Change, Command, Platform, plan_install, plan_uninstall, render
from tests.unit.service.conftest import SpecFactory

UNITS = Path("/etc/systemd/system")


def argvs(commands: tuple[Command, ...]) -> list[tuple[str, ...]]:
    """The argv of each planned command."""
    return [c.argv for c in commands]


def test_fresh_install_writes_and_starts(make_spec: SpecFactory) -> None:
    """No unit yet: the file is new; reload, enable, restart."""
    plan = plan_install(make_spec(), UNITS, {}, start=True)
    assert [(f.path, f.change) for f in plan.files] == [(UNITS / "syncd.service", Change.NEW)]
    assert argvs(plan.commands) == [
        ("systemctl", "daemon-reload"),
        ("systemctl", "enable", "syncd.service"),
        ("systemctl", "restart", "syncd.service"),
    ]


def test_same_content_is_unchanged(make_spec: SpecFactory) -> None:
    """The installed text equals the rendering: unchanged, reload and enable --now, no restart."""
    spec = make_spec()
    current = {UNITS / "syncd.service": render(spec)[0].text}
    plan = plan_install(spec, UNITS, current, start=True)
    assert plan.files[0].change is Change.UNCHANGED
    assert not plan.is_changed
    assert argvs(plan.commands) == [
        ("systemctl", "daemon-reload"),
        ("systemctl", "enable", "--now", "syncd.service"),
    ]


def test_different_content_is_changed(make_spec: SpecFactory) -> None:
    """An edited or older unit is changed, and the service restarts to pick it up."""
    plan = plan_install(make_spec(), UNITS, {UNITS / "syncd.service": "old"}, start=True)
    assert plan.files[0].change is Change.CHANGED
    assert ("systemctl", "restart", "syncd.service") in argvs(plan.commands)


def test_no_start_plans_no_commands(make_spec: SpecFactory) -> None:
    """--no-start: files only."""
    assert plan_install(make_spec(), UNITS, {}, start=False).commands == ()


def test_user_units_use_systemctl_user(make_spec: SpecFactory) -> None:
    """A user unit is managed with systemctl --user."""
    plan = plan_install(make_spec(is_user=True), UNITS, {}, start=True)
    assert all(c.argv[:2] == ("systemctl", "--user") for c in plan.commands)


def test_template_enables_the_instance(make_spec: SpecFactory) -> None:
    """A template install writes the template and the drop-in, and starts syncd@NAME."""
    plan = plan_install(make_spec(is_template=True), UNITS, {}, start=True)
    assert [f.path.name for f in plan.files] == ["syncd@.service", "50-syncd-paths.conf"]
    assert ("systemctl", "restart", "syncd@web1.service") in argvs(plan.commands)
    assert UNITS / "syncd@web1.service.d" in plan.dirs


def test_launchd_bootstraps_the_agent(make_spec: SpecFactory, tmp_path: Path) -> None:
    """launchd: boot the old agent out (may fail), bootstrap the new one, make the log dir."""
    agents = tmp_path / "LaunchAgents"
    spec = make_spec(platform=Platform.LAUNCHD)
    plan = plan_install(spec, agents, {}, start=True)
    plist = str(agents / "com.syncd.agent.plist")
    assert argvs(plan.commands) == [
        ("launchctl", "bootout", "gui/501/com.syncd.agent"),
        ("launchctl", "bootstrap", "gui/501", plist),
    ]
    assert plan.commands[0].may_fail
    assert spec.log_path.parent in plan.dirs


def test_uninstall_stops_removes_and_reloads(make_spec: SpecFactory) -> None:
    """Uninstall disables --now (may fail when not running), removes, reloads."""
    unit = UNITS / "syncd.service"
    plan = plan_uninstall(make_spec(), UNITS, frozenset({unit}), stop=True)
    assert argvs(plan.before) == [("systemctl", "disable", "--now", "syncd.service")]
    assert plan.before[0].may_fail
    assert plan.remove == (unit,)
    assert argvs(plan.after) == [("systemctl", "daemon-reload")]


def test_uninstall_of_a_template_instance_keeps_the_template(make_spec: SpecFactory) -> None:
    """Other instances may use syncd@.service: only this instance's drop-in goes."""
    present = frozenset(
        {UNITS / "syncd@.service", UNITS / "syncd@web1.service.d" / "50-syncd-paths.conf"}
    )
    plan = plan_uninstall(make_spec(is_template=True), UNITS, present, stop=False)
    assert plan.remove == (UNITS / "syncd@web1.service.d" / "50-syncd-paths.conf",)
    assert plan.before == plan.after == ()
