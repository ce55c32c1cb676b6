"""The units and plist in systemd/ and deploy/ are exactly what the renderers write."""

from __future__ import annotations

import plistlib
from pathlib import Path

import pytest

from syncd.service import Platform, ServiceSpec, render

ROOT = Path(__file__).resolve().parents[3]
HOME = Path("/Users/YOU")
SHIPPED = {
    "systemd/syncd.service": ServiceSpec(
        platform=Platform.SYSTEMD,
        program=("/usr/local/bin/syncd",),
        config_path=Path("/etc/syncd/syncd.toml"),
        state_dir=Path("/var/lib/syncd"),
        folder_paths=(Path("/srv/data"),),
        key_path="/etc/syncd/b2-key",
        home=HOME,
    ),
    "systemd/syncd@.service": ServiceSpec(
        platform=Platform.SYSTEMD,
        is_template=True,
        program=("/usr/local/bin/syncd",),
        config_path=Path("/etc/syncd/syncd.toml"),
        state_dir=Path("/var/lib/syncd"),
        folder_paths=(),
        key_path="/etc/syncd/%i.b2-key",
        home=HOME,
    ),
    "deploy/com.syncd.agent.plist": ServiceSpec(
        platform=Platform.LAUNCHD,
        program=("/usr/local/bin/syncd",),
        config_path=HOME / "Library" / "Application Support" / "syncd" / "syncd.toml",
        state_dir=HOME / "Library" / "Application Support" / "syncd" / "state",
        folder_paths=(),
        key_path="",
        home=HOME,
    ),
}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_file_is_the_rendering(name: str) -> None:
    """A shipped file equals the rendering for the documented paths; regenerate, never edit."""
    assert (ROOT / name).read_text() == render(SHIPPED[name])[0].text, (
        f"{name} drifted from the renderer; regenerate it with: python -c 'from "
        "tests.unit.service.test_shipped import regenerate; regenerate()'"
    )


def regenerate() -> None:
    """Rewrite every shipped file from the renderers (run after changing a renderer)."""
    for name, spec in SHIPPED.items():
        (ROOT / name).write_text(render(spec)[0].text)


def test_shipped_plist_parses() -> None:
    """deploy/com.syncd.agent.plist is a valid property list."""
    parsed = plistlib.loads((ROOT / "deploy" / "com.syncd.agent.plist").read_bytes())
    assert parsed["Label"] == "com.syncd.agent"
