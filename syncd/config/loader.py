"""Load a TOML config file into ``Config``; every problem is one readable line.

This is the only place that reads the config file; the secrets it names (the
application key, the SSE-C key) are read through ``secrets_source``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from syncd.config.bandwidth import MIN_RATE, BandwidthSchedule, parse_bandwidth, upload_only
from syncd.config.model import (
    EMBEDDED_REALM,
    PRODUCTION_REALM,
    TEST_MODES,
    B2Config,
    Config,
    FolderConfig,
    FollowSymlinks,
    LogConfig,
    MetricsConfig,
    StateConfig,
    SyncConfig,
)
from syncd.config.protection import read_encryption, read_lock
from syncd.config.reader import TableReader
from syncd.config.retention import RetentionPolicy, read_retention
from syncd.config.secrets_source import application_key
from syncd.config.urls import is_loopback_url
from syncd.errors import ConfigError
from syncd.protection import Encryption

_BUCKET_RE = re.compile(r"^[a-z0-9-]{6,63}$")
_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
EMBEDDED_KEY_ID = "syncd-embedded"


def load_config(
    path: Path, *, environ: Mapping[str, str] | None = None, resolve_key: bool = True
) -> Config:
    """Read, parse and validate ``path``; raise ConfigError with one readable line.

    With ``resolve_key=False`` the key source is checked but the key is not read
    (``application_key`` is empty): ``syncd service install`` needs the folders of a
    config whose key only exists inside the service (``key_credential``).
    """
    env = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_config(raw, source=path, environ=env, resolve_key=resolve_key)


def parse_config(
    raw: dict[str, Any],
    *,
    source: Path,
    environ: Mapping[str, str],
    resolve_key: bool = True,
) -> Config:
    """Validate an already parsed TOML document."""
    top = TableReader(raw, "")
    b2 = _b2(top.table("b2"), environ, resolve_key=resolve_key)
    state = _state(top.table("state"))
    log = _log(top.table("log"))
    sync = _sync(top.table("sync"))
    metrics = _metrics(top.table("metrics"))
    retention_table = top.table("retention")
    lock = read_lock(retention_table)
    retention = read_retention(retention_table)
    folder_tables = top.tables("folder")
    top.finish()
    if not folder_tables:
        raise ConfigError("folder: at least one [[folder]] table is required")
    folders = tuple(
        _folder(
            t,
            i,
            retention,
            read_encryption(t, environ, inherited=b2.encryption, resolve=resolve_key),
        )
        for i, t in enumerate(folder_tables)
    )
    _check_folders(folders, state)
    return Config(
        source=source,
        b2=b2,
        state=state,
        log=log,
        sync=sync,
        folders=folders,
        metrics=metrics,
        retention=retention,
        lock=lock,
    )


def _b2(t: TableReader, environ: Mapping[str, str], *, resolve_key: bool) -> B2Config:
    realm = t.string("realm", PRODUCTION_REALM)
    if realm != EMBEDDED_REALM and not re.match(r"^https?://[^/\s]+/?$", realm):
        raise t.fail("realm", f'must be "embedded" or a URL like {PRODUCTION_REALM}; got "{realm}"')
    if realm.startswith("http://") and not is_loopback_url(realm):
        raise t.fail("realm", "plain http is only allowed for loopback addresses; use https")
    if t.has("key") or t.has("application_key"):
        name = "key" if t.has("key") else "application_key"
        raise t.fail(name, "the application key never goes in the config; use key_env or key_file")
    api, s3_endpoint, region = _s3(t, realm)
    test_mode = t.optional_string("test_mode")
    if test_mode is not None and test_mode not in TEST_MODES:
        raise t.fail("test_mode", f'must be one of {", ".join(TEST_MODES)}; got "{test_mode}"')
    if realm == EMBEDDED_REALM:
        key_id = t.optional_string("key_id") or EMBEDDED_KEY_ID
        key, source = os.urandom(20).hex(), "embedded"  # what secrets.token_hex(20) does
        t.optional_string("key_env")
        t.optional_string("key_file")
        t.optional_string("key_credential")
        t.optional_string("key_keyring")
    else:
        key_id = t.string("key_id", required=True)
        key, source = application_key(t, environ, resolve=resolve_key)
    defaults = B2Config(realm=realm, key_id="", application_key="", key_source="")
    config = B2Config(
        realm=realm.rstrip("/"),
        api=api,
        s3_endpoint=s3_endpoint,
        region=region,
        key_id=key_id,
        application_key=key,
        key_source=source,
        test_mode=test_mode,
        content_type=t.string("content_type", defaults.content_type),
        large_file_threshold_bytes=t.integer("large_file_threshold_bytes", None, minimum=1),
        daily_class_c_budget=t.integer("daily_class_c_budget", None, minimum=0),
        part_size_bytes=t.integer("part_size_bytes", None, minimum=1),
        upload_threads=_int(t, "upload_threads", defaults.upload_threads, 1, 64),
        download_parallel_threshold_bytes=_int(
            t, "download_parallel_threshold_bytes", defaults.download_parallel_threshold_bytes, 1
        ),
        download_threads=_int(t, "download_threads", defaults.download_threads, 1, 64),
        connect_timeout_s=t.number("connect_timeout_s", defaults.connect_timeout_s, minimum=0.1),
        read_timeout_s=t.number("read_timeout_s", defaults.read_timeout_s, minimum=0.1),
        upload_read_timeout_s=t.number(
            "upload_read_timeout_s", defaults.upload_read_timeout_s, minimum=0.1
        ),
        max_attempts=_int(t, "max_attempts", defaults.max_attempts, 1, 100),
        backoff_base_s=t.number("backoff_base_s", defaults.backoff_base_s, minimum=0.0),
        backoff_cap_s=t.number("backoff_cap_s", defaults.backoff_cap_s, minimum=0.0),
        bandwidth=_bandwidth(t),
        encryption=read_encryption(t, environ, inherited=None, resolve=resolve_key),
    )
    t.finish()
    return config


def _bandwidth(t: TableReader) -> BandwidthSchedule:
    """``bandwidth_limit``, or the deprecated ``max_upload_bytes_per_s`` (uploads only,
    bytes per second); not both."""
    old = t.integer("max_upload_bytes_per_s", None, minimum=MIN_RATE)
    text = t.optional_string("bandwidth_limit")
    if text is None:
        return BandwidthSchedule() if old is None else upload_only(old)
    if old is not None:
        raise t.fail(
            "max_upload_bytes_per_s",
            'is the old name of bandwidth_limit: keep only bandwidth_limit (e.g. "1M:off")',
        )
    try:
        return parse_bandwidth(text)
    except ValueError as exc:
        raise t.fail("bandwidth_limit", str(exc)) from None


_B2_S3_HOST = re.compile(r"^s3\.([a-z0-9-]+)\.backblazeb2\.com$")


def _s3(t: TableReader, realm: str) -> tuple[str, str | None, str | None]:
    """``api``, ``s3_endpoint`` and ``region``: the endpoint is an http(s) URL without
    a path (plain http on loopback only), required for s3 unless the realm is embedded;
    the region comes from B2's ``s3.<region>.backblazeb2.com`` hosts when not given."""
    api = t.choice("api", "native", ("native", "s3"))
    endpoint = t.optional_string("s3_endpoint")
    region = t.optional_string("region")
    if endpoint is not None:
        if not re.match(r"^https?://[^/\s]+/?$", endpoint):
            raise t.fail(
                "s3_endpoint",
                f'must be a URL like https://s3.us-west-004.backblazeb2.com; got "{endpoint}"',
            )
        if endpoint.startswith("http://") and not is_loopback_url(endpoint):
            raise t.fail(
                "s3_endpoint", "plain http is only allowed for loopback addresses; use https"
            )
        endpoint = endpoint.rstrip("/")
        host = urlsplit(endpoint).hostname or ""
        derived = _B2_S3_HOST.match(host)
        if region is None and derived is not None:
            region = derived[1]
    if api == "s3" and endpoint is None and realm != EMBEDDED_REALM:
        raise t.fail(
            "s3_endpoint",
            'is required with api = "s3" (e.g. https://s3.us-west-004.backblazeb2.com)',
        )
    return api, endpoint, region


def _int(t: TableReader, key: str, default: int, minimum: int, maximum: int | None = None) -> int:
    value = t.integer(key, default, minimum=minimum, maximum=maximum)
    assert value is not None  # a non-None default was given
    return value


def _state(t: TableReader) -> StateConfig:
    path = t.absolute_path("dir")
    assert path is not None  # required
    if path.exists() and not path.is_dir():
        raise t.fail("dir", f"{path} exists and is not a directory")
    if not path.exists() and not path.parent.is_dir():
        raise t.fail("dir", f"{path.parent} does not exist")
    t.finish()
    return StateConfig(dir=path)


def _log(t: TableReader) -> LogConfig:
    config = LogConfig(
        level=t.choice("level", "info", ("debug", "info", "warning", "error")),
        format=t.choice("format", "auto", ("auto", "json", "console")),
    )
    t.finish()
    return config


def _sync(t: TableReader) -> SyncConfig:
    d = SyncConfig()
    config = SyncConfig(
        workers=_int(t, "workers", d.workers, 1, 64),
        settle_s=t.number("settle_s", d.settle_s),
        max_deferral_s=t.number("max_deferral_s", d.max_deferral_s),
        delete_hold_s=t.number("delete_hold_s", d.delete_hold_s),
        lease_s=t.number("lease_s", d.lease_s, minimum=1.0),
        hang_after_s=t.number("hang_after_s", d.hang_after_s, minimum=1.0),
        rescan_interval_s=t.number("rescan_interval_s", d.rescan_interval_s, minimum=1.0),
        reconcile_interval_s=t.number("reconcile_interval_s", d.reconcile_interval_s, minimum=1.0),
        jitter_s=t.number("jitter_s", d.jitter_s),
        delete=t.choice("delete", d.delete, ("hide", "keep", "delete-all-versions")),
        touch=t.choice("touch", d.touch, ("copy", "upload", "ignore")),
        conflict=t.choice("conflict", d.conflict, ("keep-both", "local-wins", "remote-wins")),
        mass_delete_ratio=t.number("mass_delete_ratio", d.mass_delete_ratio, maximum=1.0),
        mass_delete_count=_int(t, "mass_delete_count", d.mass_delete_count, 0),
        retry_base_s=t.number("retry_base_s", d.retry_base_s),
        retry_cap_s=t.number("retry_cap_s", d.retry_cap_s),
    )
    t.finish()
    if config.max_deferral_s < config.settle_s:
        raise ConfigError("sync.max_deferral_s: must be at least sync.settle_s")
    return config


def _metrics(t: TableReader) -> MetricsConfig:
    listen = t.optional_string("listen")
    t.finish()
    if listen is None:
        return MetricsConfig()
    host, sep, port = listen.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise t.fail("listen", f'must be "HOST:PORT" like "127.0.0.1:9464"; got "{listen}"')
    return MetricsConfig(host=host, port=int(port))


def _folder(
    t: TableReader, index: int, retention: RetentionPolicy, encryption: Encryption | None
) -> FolderConfig:
    path = t.absolute_path("path")
    assert path is not None  # required
    if not path.exists():
        raise t.fail("path", f"{path} does not exist")
    if not path.is_dir():
        raise t.fail("path", f"{path} is not a directory")
    bucket = t.string("bucket", required=True)
    if not _BUCKET_RE.match(bucket) or bucket.startswith("b2-"):
        raise t.fail(
            "bucket",
            f'"{bucket}" is not a valid B2 bucket name '
            "(6-63 characters: a-z, 0-9 and '-', not starting with 'b2-')",
        )
    prefix = t.string("prefix", "", allow_empty=True)
    if prefix and (prefix.startswith("/") or not prefix.endswith("/") or "//" in prefix):
        raise t.fail(
            "prefix", f'must end with "/" and not start with "/" (e.g. "web1/"); got "{prefix}"'
        )
    name = t.optional_string("name") or path.name or f"folder{index}"
    if not _NAME_RE.match(name):
        raise t.fail("name", f'"{name}" must be 1-64 of A-Z a-z 0-9 . _ -')
    defaults = FolderConfig(name="", path=path, bucket=bucket)
    config = FolderConfig(
        name=name,
        path=path,
        bucket=bucket,
        prefix=prefix,
        exclude=t.strings("exclude"),
        exclude_if_present=(
            t.optional_string("exclude_if_present")
            if t.has("exclude_if_present")
            else defaults.exclude_if_present
        ),
        max_size_bytes=t.integer("max_size_bytes", None, minimum=1),
        follow_symlinks=_follow(t.boolean_or("follow_symlinks", defaults.follow_symlinks, "all")),
        one_file_system=t.boolean("one_file_system", defaults.one_file_system),
        retention=read_retention(t.table("retention"), retention),
        encryption=encryption,
    )
    t.finish()
    return config


def _follow(value: bool | str) -> FollowSymlinks:
    return "all" if value == "all" else bool(value)


def _check_folders(folders: tuple[FolderConfig, ...], state: StateConfig) -> None:
    names: set[str] = set()
    targets: set[tuple[str, str]] = set()
    for i, folder in enumerate(folders):
        where = f"folder[{i}]"
        if folder.name in names:
            raise ConfigError(f'{where}.name: "{folder.name}" is used twice; give each a name')
        names.add(folder.name)
        target = (folder.bucket, folder.prefix)
        if target in targets:
            raise ConfigError(
                f"{where}.prefix: another folder already syncs to this bucket and prefix"
            )
        targets.add(target)
        resolved = folder.path.resolve()
        if state.dir.resolve().is_relative_to(resolved):
            raise ConfigError(f"state.dir: must not be inside folder[{i}].path ({folder.path})")
        for j, other in enumerate(folders[:i]):
            other_resolved = other.path.resolve()
            if resolved.is_relative_to(other_resolved) or other_resolved.is_relative_to(resolved):
                raise ConfigError(f"{where}.path: overlaps folder[{j}].path ({other.path})")
