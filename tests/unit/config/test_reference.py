"""The README's configuration reference lists every key of config.example.toml, and the
loader reads each of them into the Config."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from syncd.config.loader import parse_config

ROOT = Path(__file__).parents[3]
EXAMPLE = ROOT / "config.example.toml"
_TABLE = re.compile(r"^(?:# )?\[\[?([a-z0-9_.]+)\]\]?\s*$")
_KEY = re.compile(r"^#? ?([a-z0-9_]+) = (.+)$")


def example_keys() -> dict[str, Any]:
    """{"table.key": example value} for set and commented-out keys of the example."""
    keys: dict[str, Any] = {}
    table = ""
    for line in EXAMPLE.read_text().splitlines():
        if found := _TABLE.match(line):
            table = found.group(1)
        elif (found := _KEY.match(line)) and table:
            keys[f"{table}.{found.group(1)}"] = tomllib.loads(f"v = {found.group(2)}")["v"]
    return keys


def readme_keys() -> set[str]:
    """The keys of the README's reference table."""
    section = (ROOT / "README.md").read_text().split("### Configuration reference", 1)[1]
    return set(re.findall(r"^\| `([a-z0-9_]+(?:\.[a-z0-9_]+)+)` \|", section, re.MULTILINE))


def test_readme_reference_lists_exactly_the_example_keys() -> None:
    """Every key shown in config.example.toml has a README row, and no row is extra."""
    assert readme_keys() == set(example_keys())


# Keys that only load together with another key of their table.
COMPANIONS: dict[str, dict[str, Any]] = {
    "b2.sse_c_key_file": {"encryption": "SSE-C"},
    "b2.sse_c_key_credential": {"encryption": "SSE-C"},
    "folder.encryption": {"sse_c_key_file": "/etc/syncd/sse-c.key"},
    "folder.sse_c_key_file": {"encryption": "SSE-C"},
    "retention.lock.mode": {"days": 30},
    "retention.lock.days": {"mode": "governance"},
}
KEY_SOURCES = ("b2.key_env", "b2.key_file", "b2.key_credential", "b2.key_keyring")


@pytest.mark.parametrize("key", sorted(example_keys()))
def test_loader_reads_each_example_key(key: str, tmp_path: Path) -> None:
    """Setting the key to its example value loads, and the value reaches the Config."""
    (tmp_path / "data").mkdir()
    raw: dict[str, Any] = {
        "b2": {"key_id": "k", "key_env": "KEY"},
        "state": {"dir": str(tmp_path / "state")},
        "folder": [{"path": str(tmp_path / "data"), "bucket": "my-bucket"}],
    }
    *tables, name = key.split(".")
    table = tables[0]
    value = example_keys()[key]
    if key in KEY_SOURCES:
        del raw["b2"]["key_env"]
    if key == "state.dir":
        value = str(tmp_path / "state")
    if key == "folder.path":
        value = str(tmp_path / "data")
    if key == "b2.key_file":
        value = str(tmp_path / "b2-key")
    where = raw["folder"][0] if table == "folder" else raw.setdefault(table, {})
    for sub in tables[1:]:
        where = where.setdefault(sub, {})
    where.update(COMPANIONS.get(key, {}))
    where[name] = value
    config = parse_config(raw, source=Path("x"), environ={"KEY": "s"}, resolve_key=False)
    section: Any = config.folders[0] if table == "folder" else getattr(config, table, None)
    for sub in tables[1:]:
        section = getattr(section, sub, None)
    if key in KEY_SOURCES:
        assert config.b2.key_source.endswith(str(value))
    elif key == "metrics.listen":
        assert f"{config.metrics.host}:{config.metrics.port}" == value
    elif hasattr(section, name):  # a key parsed into a value of its own (encryption)
        got = getattr(section, name)
        got = str(got) if isinstance(got, Path) else getattr(got, "mode", got)
        assert got == (tuple(value) if isinstance(value, list) else value)
