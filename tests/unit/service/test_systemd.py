"""Rendering systemd units is pure: the directives, the writable paths and the escaping."""

from __future__ import annotations

from pathlib import Path

from syncd.service.systemd import render_systemd, unit_word
from tests.unit.service.conftest import SpecFactory


def directives(text: str) -> list[str]:
    """The non-comment, non-empty lines of a unit."""
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_system_unit_has_the_service_contract(make_spec: SpecFactory) -> None:
    """A system unit is Type=notify with a watchdog, restarts on failure but never after 78."""
    (unit,) = render_systemd(make_spec())
    lines = directives(unit.text)
    assert unit.name == "syncd.service"
    for wanted in (
        "Type=notify",
        "NotifyAccess=main",
        "WatchdogSec=60",
        "Restart=on-failure",
        "RestartPreventExitStatus=78",
        "ExecStart=/opt/syncd/bin/syncd run --config /etc/syncd/web1.toml",
        "LoadCredential=b2-key:/etc/syncd/b2-key",
        "ProtectSystem=strict",
        "ProtectHome=read-only",
        "WantedBy=multi-user.target",
        "After=network-online.target",
        "CapabilityBoundingSet=CAP_DAC_READ_SEARCH",
    ):
        assert wanted in lines, wanted


def test_unit_names_no_documentation_and_no_credentials_path(make_spec: SpecFactory) -> None:
    """No Documentation= pointing at nothing shipped, and no hard-coded /run/credentials."""
    (unit,) = render_systemd(make_spec())
    assert "Documentation=" not in unit.text
    assert "/run/credentials" not in unit.text


def test_state_dir_and_every_folder_are_writable(make_spec: SpecFactory) -> None:
    """ReadWritePaths= lists the state dir and each folder once, "-" prefixed."""
    spec = make_spec(folder_paths=(Path("/srv/data"), Path("/srv/data"), Path("/srv/b")))
    (unit,) = render_systemd(spec)
    paths = [line for line in directives(unit.text) if line.startswith("ReadWritePaths=")]
    assert paths == [
        "ReadWritePaths=-/var/lib/syncd",
        "ReadWritePaths=-/srv/data",
        "ReadWritePaths=-/srv/b",
    ]


def test_odd_paths_are_quoted_and_escaped(make_spec: SpecFactory) -> None:
    """Spaces are quoted; % becomes %% everywhere and $ becomes $$ in ExecStart."""
    spec = make_spec(
        program=("/opt/my syncd/bin/syncd",),
        config_path=Path("/etc/syncd/100%$.toml"),
        folder_paths=(Path('/srv/a "b" 50%'),),
    )
    (unit,) = render_systemd(spec)
    assert 'ExecStart="/opt/my syncd/bin/syncd" run --config "/etc/syncd/100%%$$.toml"' in unit.text
    assert 'ReadWritePaths="-/srv/a \\"b\\" 50%%"' in unit.text


def test_unit_word_leaves_plain_words_alone() -> None:
    """A plain absolute path is written as it is."""
    assert unit_word("/usr/local/bin/syncd", in_exec=True) == "/usr/local/bin/syncd"
    assert unit_word("a b") == '"a b"'


def test_user_unit_differs_where_a_user_manager_needs(make_spec: SpecFactory) -> None:
    """A user unit has no network-online ordering, no capabilities and default.target."""
    (unit,) = render_systemd(make_spec(is_user=True, key_path="%E/syncd/b2-key"))
    lines = directives(unit.text)
    assert "WantedBy=default.target" in lines
    assert "CapabilityBoundingSet=" in lines
    assert "PrivateUsers=yes" in lines
    assert "LoadCredential=b2-key:%E/syncd/b2-key" in lines
    assert not any(line.startswith(("After=", "Wants=", "AmbientCapabilities=")) for line in lines)


def test_template_runs_the_instance_config_and_puts_paths_in_a_dropin(
    make_spec: SpecFactory,
) -> None:
    """syncd@.service runs DIR/%i.toml; the instance's drop-in holds its writable paths."""
    spec = make_spec(is_template=True, key_path="/etc/syncd/%i.b2-key")
    template, dropin = render_systemd(spec)
    assert template.name == "syncd@.service"
    assert "ExecStart=/opt/syncd/bin/syncd run --config /etc/syncd/%i.toml" in template.text
    assert "LoadCredential=b2-key:/etc/syncd/%i.b2-key" in template.text
    assert not any(line.startswith("ReadWritePaths=") for line in directives(template.text))
    assert dropin.name == "syncd@web1.service.d/50-syncd-paths.conf"
    assert directives(dropin.text) == [
        "[Service]",
        "ReadWritePaths=-/var/lib/syncd",
        "ReadWritePaths=-/srv/data",
        "ReadWritePaths=-/home/ann/Documents",
    ]
    assert spec.unit_name == "syncd@web1.service"


def test_rendering_is_deterministic(make_spec: SpecFactory) -> None:
    """The same spec renders the same text, which is what makes install idempotent."""
    assert render_systemd(make_spec()) == render_systemd(make_spec())
