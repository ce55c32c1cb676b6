"""The [retention] table: global defaults, per-folder override, readable errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from syncd.config import UNLIMITED, RetentionPolicy, load_config
from syncd.errors import ConfigError


def config_text(tmp_path: Path, top: str = "", fold: str = "") -> Path:
    """A valid config with ``top`` lines before the folder and ``fold`` lines after it."""
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    path = tmp_path / "syncd.toml"
    path.write_text(
        f"""
[b2]
realm = "embedded"
[state]
dir = "{tmp_path / "state"}"
{top}
[[folder]]
path = "{folder}"
bucket = "my-bucket"
prefix = "web1/"
{fold}
"""
    )
    return path


def test_no_table_means_no_rule(tmp_path: Path) -> None:
    """Without [retention] no rule is configured and nothing would be pruned."""
    config = load_config(config_text(tmp_path), environ={})
    assert config.retention == RetentionPolicy()
    assert not config.folders[0].retention.is_configured


def test_folder_overrides_key_by_key(tmp_path: Path) -> None:
    """A folder's retention table overrides the global keys one by one."""
    top = "[retention]\nkeep_days = 30\nkeep_versions = 5\nmax_delete_share = 0.2\n"
    fold = "[folder.retention]\nkeep_versions = -1\nkeep_daily = 7\n"
    config = load_config(config_text(tmp_path, top, fold), environ={})
    assert config.folders[0].retention == RetentionPolicy(
        keep_days=30, keep_versions=UNLIMITED, keep_daily=7, max_delete_share=0.2
    )
    assert config.retention.keep_versions == 5


def test_lock_sub_table_is_left_to_its_own_parser(tmp_path: Path) -> None:
    """A [retention.lock] sub-table is accepted (Object Lock parses it elsewhere)."""
    top = '[retention]\nkeep_days = 3\n[retention.lock]\nmode = "governance"\ndays = 9\n'
    config = load_config(config_text(tmp_path, top), environ={})
    assert config.retention.keep_days == 3
    assert config.lock is not None
    assert (config.lock.mode, config.lock.days) == ("governance", 9)


def test_lifecycle_days_only_for_keep_days_alone() -> None:
    """Only a policy of keep_days alone maps to a B2 lifecycle rule."""
    assert RetentionPolicy(keep_days=7).lifecycle_days() == 7
    assert RetentionPolicy(keep_days=7, keep_versions=2).lifecycle_days() is None
    assert RetentionPolicy(keep_days=UNLIMITED).lifecycle_days() is None
    assert RetentionPolicy().lifecycle_days() is None


@pytest.mark.parametrize(
    ("top", "message"),
    [
        ("[retention]\nkeep_days = -2\n", "retention.keep_days: must be >= -1; got -2"),
        ('[retention]\nkeep_daily = "7"\n', 'retention.keep_daily: expected an integer, got "7"'),
        ("[retention]\nmax_delete_share = 1.5\n", "retention.max_delete_share: must be between"),
        ("[retention]\nkeep_yearly = 1\n", "retention.keep_yearly: unknown key"),
    ],
)
def test_bad_values_are_one_line(tmp_path: Path, top: str, message: str) -> None:
    """A bad retention value is one ConfigError line naming the key."""
    with pytest.raises(ConfigError) as info:
        load_config(config_text(tmp_path, top), environ={})
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_bad_folder_value_names_the_folder(tmp_path: Path) -> None:
    """A bad value in a folder's retention names folder[0].retention."""
    with pytest.raises(ConfigError, match=r"^folder\[0\]\.retention\.keep_versions"):
        load_config(
            config_text(tmp_path, fold="[folder.retention]\nkeep_versions = 1.5\n"), environ={}
        )


def test_cli_bad_retention_is_exit_78_one_line(tmp_path: Path) -> None:
    """`syncd prune` with a bad retention value prints one line and exits 78."""
    path = config_text(tmp_path, "[retention]\nkeep_weekly = -5\n")
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "prune", "--config", str(path), "--dry-run"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert proc.returncode == 78
    assert proc.stderr == "syncd: config error: retention.keep_weekly: must be >= -1; got -5\n"
