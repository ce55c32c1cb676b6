"""Configuration: frozen dataclasses (``model``) and the one loader that fills them.

Imports only ``syncd.errors``. This package is the only reader of the config file,
environment variables and key files.
"""

from syncd.config.bandwidth import BandwidthSchedule, Rate
from syncd.config.loader import load_config
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
from syncd.config.retention import UNLIMITED, RetentionPolicy
from syncd.config.urls import is_loopback_host, is_loopback_url

__all__ = [
    "EMBEDDED_REALM",
    "PRODUCTION_REALM",
    "TEST_MODES",
    "UNLIMITED",
    "B2Config",
    "BandwidthSchedule",
    "Config",
    "FolderConfig",
    "FollowSymlinks",
    "LogConfig",
    "MetricsConfig",
    "Rate",
    "RetentionPolicy",
    "StateConfig",
    "SyncConfig",
    "is_loopback_host",
    "is_loopback_url",
    "load_config",
]
