"""Config validation: every invalid config is one readable line naming the key."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from syncd.config import (
    B2Config,
    Config,
    FolderConfig,
    LogConfig,
    RetentionPolicy,
    SyncConfig,
    is_loopback_url,
    load_config,
)
from syncd.config.loader import parse_config
from syncd.errors import ConfigError

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A real local folder to sync."""
    path = tmp_path / "data"
    path.mkdir()
    return path


def write(tmp_path: Path, text: str) -> Path:
    """Write a config file and return its path."""
    path = tmp_path / "syncd.toml"
    path.write_text(text)
    return path


def base(tmp_path: Path, folder: Path, *, b2: str = "", extra: str = "", fold: str = "") -> str:
    """A valid config text, with lines added to [b2], the top and the folder."""
    return f"""
[b2]
realm = "http://127.0.0.1:8180"
key_id = "kid"
key_env = "SYNCD_TEST_KEY"
{b2}
[state]
dir = "{tmp_path / "state"}"
{extra}
[[folder]]
path = "{folder}"
bucket = "my-bucket"
prefix = "web1/"
{fold}
"""


ENV = {"SYNCD_TEST_KEY": "secret-value-123"}


def load(path: Path) -> Config:
    """Load with a fixed environment."""
    return load_config(path, environ=ENV)


def error_of(path: Path) -> str:
    """The ConfigError message for a config that must be refused."""
    with pytest.raises(ConfigError) as info:
        load(path)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_valid_config_loads(tmp_path: Path, folder: Path) -> None:
    """A minimal valid config loads with the key resolved from the environment."""
    config = load(write(tmp_path, base(tmp_path, folder)))
    assert config.b2.application_key == "secret-value-123"
    assert config.b2.key_source == "env:SYNCD_TEST_KEY"
    assert config.folders[0].name == "data"
    assert config.folders[0].prefix == "web1/"
    assert "secret-value-123" not in repr(config)


def test_missing_required_key(tmp_path: Path, folder: Path) -> None:
    """A missing bucket names folder[0].bucket."""
    text = base(tmp_path, folder).replace('bucket = "my-bucket"', "")
    assert error_of(write(tmp_path, text)).startswith("folder[0].bucket: missing")


def test_missing_state_dir(tmp_path: Path, folder: Path) -> None:
    """A missing [state].dir names state.dir."""
    text = base(tmp_path, folder).replace(f'dir = "{tmp_path / "state"}"', "")
    assert error_of(write(tmp_path, text)).startswith("state.dir: missing")


def test_wrong_type(tmp_path: Path, folder: Path) -> None:
    """A string where a number belongs names the key and the value."""
    text = base(tmp_path, folder, extra='[sync]\nworkers = "four"')
    assert error_of(write(tmp_path, text)) == 'sync.workers: expected an integer, got "four"'


def test_bool_is_not_an_integer(tmp_path: Path, folder: Path) -> None:
    """true is refused where an integer is expected."""
    text = base(tmp_path, folder, extra="[sync]\nworkers = true")
    assert "sync.workers: expected an integer, got true" in error_of(write(tmp_path, text))


def test_out_of_range(tmp_path: Path, folder: Path) -> None:
    """A value out of range says the bounds."""
    text = base(tmp_path, folder, extra="[sync]\nworkers = 0")
    assert error_of(write(tmp_path, text)) == "sync.workers: must be between 1 and 64; got 0"


def test_unknown_key(tmp_path: Path, folder: Path) -> None:
    """A typo is an error, not a silent default."""
    text = base(tmp_path, folder, fold='bukcet = "x"')
    assert error_of(write(tmp_path, text)).startswith("folder[0].bukcet: unknown key")


def test_unknown_table(tmp_path: Path, folder: Path) -> None:
    """An unknown top-level table is refused."""
    text = base(tmp_path, folder, extra="[syncc]\nworkers = 2")
    assert error_of(write(tmp_path, text)).startswith("syncc: unknown key")


def test_relative_folder_path(tmp_path: Path, folder: Path) -> None:
    """A relative folder path is refused."""
    text = base(tmp_path, folder).replace(f'path = "{folder}"', 'path = "data"')
    assert error_of(write(tmp_path, text)) == 'folder[0].path: must be an absolute path; got "data"'


def test_missing_folder_path(tmp_path: Path, folder: Path) -> None:
    """A folder that does not exist is refused with its path."""
    text = base(tmp_path, folder).replace(f'path = "{folder}"', f'path = "{tmp_path}/nope"')
    assert error_of(write(tmp_path, text)) == f"folder[0].path: {tmp_path}/nope does not exist"


def test_folder_path_is_a_file(tmp_path: Path, folder: Path) -> None:
    """A folder path naming a file is refused."""
    (tmp_path / "file").write_text("x")
    text = base(tmp_path, folder).replace(f'path = "{folder}"', f'path = "{tmp_path}/file"')
    assert "is not a directory" in error_of(write(tmp_path, text))


@pytest.mark.parametrize("bucket", ["short", "Upper-Case", "b2-reserved", "under_score", "a" * 64])
def test_bad_bucket_name(tmp_path: Path, folder: Path, bucket: str) -> None:
    """Bucket names follow B2's rules."""
    text = base(tmp_path, folder).replace('bucket = "my-bucket"', f'bucket = "{bucket}"')
    assert error_of(write(tmp_path, text)).startswith(f'folder[0].bucket: "{bucket}" is not')


def test_bad_prefix(tmp_path: Path, folder: Path) -> None:
    """A prefix must end with a slash."""
    text = base(tmp_path, folder).replace('prefix = "web1/"', 'prefix = "web1"')
    assert error_of(write(tmp_path, text)).startswith('folder[0].prefix: must end with "/"')


def test_inline_key_refused(tmp_path: Path, folder: Path) -> None:
    """The application key may not be written in the config."""
    text = base(tmp_path, folder, b2='key = "abc"')
    assert error_of(write(tmp_path, text)).startswith("b2.key: the application key never goes")


def test_key_env_unset(tmp_path: Path, folder: Path) -> None:
    """An unset key variable is named."""
    path = write(tmp_path, base(tmp_path, folder))
    with pytest.raises(ConfigError, match=r"b2\.key_env: environment variable SYNCD_TEST_KEY"):
        load_config(path, environ={})


def test_key_source_missing(tmp_path: Path, folder: Path) -> None:
    """A config must say where the key comes from."""
    text = base(tmp_path, folder).replace('key_env = "SYNCD_TEST_KEY"', "")
    assert error_of(write(tmp_path, text)).startswith("b2.key_env: missing")


def test_world_readable_key_file(tmp_path: Path, folder: Path) -> None:
    """A key file readable by others is refused with its mode."""
    key = tmp_path / "key"
    key.write_text("k" * 20)
    key.chmod(0o644)
    text = base(tmp_path, folder).replace('key_env = "SYNCD_TEST_KEY"', f'key_file = "{key}"')
    message = error_of(write(tmp_path, text))
    assert message == f"b2.key_file: {key} is readable by group or others (mode 0644); chmod 600 it"


def test_private_key_file(tmp_path: Path, folder: Path) -> None:
    """A 0600 key file is read and stripped."""
    key = tmp_path / "key"
    key.write_text("file-secret-xyz\n")
    key.chmod(0o600)
    text = base(tmp_path, folder).replace('key_env = "SYNCD_TEST_KEY"', f'key_file = "{key}"')
    config = load(write(tmp_path, text))
    assert config.b2.application_key == "file-secret-xyz"
    assert config.b2.key_source == f"file:{key}"


def test_bad_realm(tmp_path: Path, folder: Path) -> None:
    """A realm that is neither a URL nor "embedded" is refused."""
    text = base(tmp_path, folder).replace('"http://127.0.0.1:8180"', '"production"')
    assert error_of(write(tmp_path, text)).startswith('b2.realm: must be "embedded" or a URL')


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("127.0.0.1:8180", True),
        ("127.0.0.2", True),
        ("[::1]:8180", True),
        ("localhost:8180", True),
        ("127.example.com", False),  # a DNS name, not a loopback address
        ("127.0.0.1.example.com:80", False),
    ],
)
def test_loopback_rule_is_the_clients(tmp_path: Path, folder: Path, host: str, allowed: bool):
    """check-config accepts plain http exactly where the B2 client does (one rule)."""
    text = base(tmp_path, folder).replace("127.0.0.1:8180", host)
    path = write(tmp_path, text)
    if allowed:
        load_config(path, environ=ENV)
    else:
        assert "plain http is only allowed for loopback" in error_of(path)
    assert is_loopback_url(f"http://{host}/") is allowed


def test_plain_http_off_loopback(tmp_path: Path, folder: Path) -> None:
    """Plain http to a non-loopback host is refused."""
    text = base(tmp_path, folder).replace("127.0.0.1:8180", "b2.example.com")
    assert "plain http is only allowed for loopback" in error_of(write(tmp_path, text))


def test_bad_test_mode(tmp_path: Path, folder: Path) -> None:
    """test_mode accepts only Backblaze's three values."""
    text = base(tmp_path, folder, b2='test_mode = "fail_everything"')
    assert error_of(write(tmp_path, text)).startswith("b2.test_mode: must be one of")


def test_invalid_toml(tmp_path: Path) -> None:
    """A TOML syntax error is one line with the file name and position."""
    path = write(tmp_path, "[b2\nrealm = 1")
    message = error_of(path)
    assert message.startswith(f"{path}: invalid TOML:")


def test_missing_file(tmp_path: Path) -> None:
    """A missing config file is named."""
    assert error_of(tmp_path / "none.toml") == f"{tmp_path / 'none.toml'}: no such config file"


def test_no_folders(tmp_path: Path, folder: Path) -> None:
    """At least one folder is required."""
    text = base(tmp_path, folder).split("[[folder]]")[0]
    assert error_of(write(tmp_path, text)).startswith("folder: at least one")


def test_overlapping_folders(tmp_path: Path, folder: Path) -> None:
    """Nested folders are refused."""
    inner = folder / "inner"
    inner.mkdir()
    text = base(tmp_path, folder) + f'[[folder]]\npath = "{inner}"\nbucket = "my-bucket"\n'
    assert error_of(write(tmp_path, text)).startswith("folder[1].path: overlaps folder[0].path")


def test_state_inside_folder(tmp_path: Path, folder: Path) -> None:
    """The journal may not live inside a synced folder."""
    text = base(tmp_path, folder).replace(f'dir = "{tmp_path / "state"}"', f'dir = "{folder}/s"')
    assert error_of(write(tmp_path, text)).startswith("state.dir: must not be inside")


def test_embedded_realm_needs_no_key(tmp_path: Path, folder: Path) -> None:
    """realm = "embedded" makes its own key and needs no key_id."""
    text = f"""
[b2]
realm = "embedded"
[state]
dir = "{tmp_path / "state"}"
[[folder]]
path = "{folder}"
bucket = "my-bucket"
"""
    config = load_config(write(tmp_path, text), environ={})
    assert config.b2.key_source == "embedded"
    assert len(config.b2.application_key) == 40


def test_example_documents_the_defaults(tmp_path: Path, folder: Path) -> None:
    """config.example.toml loads, and every default it shows is the code's default."""
    raw = tomllib.loads((ROOT / "config.example.toml").read_text())
    raw["state"]["dir"] = str(tmp_path / "state")
    raw["folder"][0]["path"] = str(folder)
    config = parse_config(raw, source=Path("x"), environ={"B2_APPLICATION_KEY": "k" * 20})
    for section, cls, value in (
        ("sync", SyncConfig, config.sync),
        ("log", LogConfig, config.log),
        ("retention", RetentionPolicy, config.retention),
    ):
        for key, shown in raw[section].items():
            assert getattr(value, key) == getattr(cls(), key) == shown, f"{section}.{key}"
    b2_defaults = B2Config(key_id="", application_key="", key_source="")
    for key, shown in raw["b2"].items():
        if key not in ("key_id", "key_env"):
            assert getattr(b2_defaults, key) == shown, f"b2.{key}"
    folder_defaults = FolderConfig(name="", path=folder, bucket="")
    for key in ("exclude_if_present", "follow_symlinks", "one_file_system"):
        assert getattr(folder_defaults, key) == raw["folder"][0][key], f"folder.{key}"


def test_cli_check_config_exit_78_without_traceback(tmp_path: Path, folder: Path) -> None:
    """`syncd check-config` on a bad file prints one line and exits 78."""
    text = base(tmp_path, folder).replace('bucket = "my-bucket"', 'bucket = "Bad_Bucket"')
    path = write(tmp_path, text)
    env = {**os.environ, **ENV}
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "check-config", str(path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 78
    assert proc.stderr.count("\n") == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith('syncd: config error: folder[0].bucket: "Bad_Bucket"')


def test_cli_check_config_ok_hides_key(tmp_path: Path, folder: Path) -> None:
    """`syncd check-config --json` on a good file exits 0 and never prints the key."""
    path = write(tmp_path, base(tmp_path, folder))
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "check-config", "--json", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        check=False,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert '"key_source": "env:SYNCD_TEST_KEY"' in proc.stdout
    assert "secret-value-123" not in proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("line", "policy"),
    [
        ("", False),
        ("follow_symlinks = false", False),
        ("follow_symlinks = true", True),
        ('follow_symlinks = "all"', "all"),
    ],
)
def test_follow_symlinks_is_a_bool_or_all(
    tmp_path: Path, folder: Path, line: str, policy: object
) -> None:
    """follow_symlinks takes false (default), true (inside the folder) or "all"."""
    config = load(write(tmp_path, base(tmp_path, folder, fold=line)))
    assert config.folders[0].follow_symlinks == policy


def test_follow_symlinks_refuses_other_words(tmp_path: Path, folder: Path) -> None:
    """Any other value of follow_symlinks is one readable error."""
    message = error_of(write(tmp_path, base(tmp_path, folder, fold='follow_symlinks = "yes"')))
    assert message == 'folder[0].follow_symlinks: expected true, false or "all", got "yes"'


def test_s3_api_keys(tmp_path: Path, folder: Path) -> None:
    """api = "s3" takes an https endpoint and derives B2's region from its host."""
    text = base(tmp_path, folder).replace(
        "[b2]", '[b2]\napi = "s3"\ns3_endpoint = "https://s3.eu-central-003.backblazeb2.com"'
    )
    config = load_config(write(tmp_path, text), environ=ENV)
    assert (config.b2.api, config.b2.region) == ("s3", "eu-central-003")


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        ('api = "s3"', "s3_endpoint"),
        ('api = "s3"\ns3_endpoint = "http://s3.example.com"', "plain http"),
        ('api = "ftp"', "api"),
    ],
)
def test_s3_api_bad_keys(tmp_path: Path, folder: Path, lines: str, problem: str) -> None:
    """A missing endpoint, plain http off loopback or an unknown api is one readable error."""
    text = base(tmp_path, folder).replace("[b2]", f"[b2]\n{lines}")
    with pytest.raises(ConfigError, match=problem):
        load_config(write(tmp_path, text), environ=ENV)
