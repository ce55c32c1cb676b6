"""Fixtures: service specs built by hand, so rendering needs no config file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from syncd.service import Platform, ServiceSpec

SpecFactory = Callable[..., ServiceSpec]


@pytest.fixture
def make_spec(tmp_path: Path) -> SpecFactory:
    """A ServiceSpec with absolute paths under tmp_path; keywords override fields."""

    def make(**overrides: Any) -> ServiceSpec:
        fields: dict[str, Any] = {
            "platform": Platform.SYSTEMD,
            "program": ("/opt/syncd/bin/syncd",),
            "config_path": Path("/etc/syncd/web1.toml"),
            "state_dir": Path("/var/lib/syncd"),
            "folder_paths": (Path("/srv/data"), Path("/home/ann/Documents")),
            "key_path": "/etc/syncd/b2-key",
            "home": tmp_path / "home",
            "uid": 501,
        }
        fields.update(overrides)
        return ServiceSpec(**fields)

    return make
