"""Fixtures for the watch unit tests: a folder config factory over tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from syncd.config import FolderConfig

FolderFactory = Callable[..., FolderConfig]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An empty folder root."""
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def folder(root: Path) -> FolderFactory:
    """Build a FolderConfig for ``root``; keyword arguments override fields."""

    def make(**changes: Any) -> FolderConfig:
        fields: dict[str, Any] = {"name": "docs", "path": root, "bucket": "b"}
        fields.update(changes)
        return FolderConfig(**fields)

    return make
