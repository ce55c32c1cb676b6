"""Construct the S3Store from ``B2Config``: the one function ``syncd.app`` calls.

Imports the rest of ``syncd.s3``, ``syncd.config``, ``syncd.clock`` and
``syncd.errors``. The endpoint must be https, or plain http on loopback (the one rule
in ``syncd.config.urls``); the region is the configured one, else "us-east-1" (B2's
endpoints have theirs derived by the config loader).
"""

from __future__ import annotations

import random
import threading
from urllib.parse import urlsplit

import httpx

from syncd.clock import Clock
from syncd.config import B2Config, is_loopback_host
from syncd.errors import ConfigError
from syncd.s3.raw import RawS3
from syncd.s3.session import Backoff, S3Session
from syncd.s3.sign import Signer
from syncd.s3.store import S3Store

DEFAULT_REGION = "us-east-1"


def _check_endpoint(url: str) -> None:
    parts = urlsplit(url)
    if parts.username or parts.password or not parts.hostname:
        raise ConfigError(f"the S3 endpoint must be a plain URL: {url!r}")
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(parts.hostname)):
        return
    raise ConfigError(f"the S3 endpoint must use https (plain http only on loopback): {url!r}")


def build_s3_store(
    config: B2Config,
    *,
    endpoint: str,
    http: httpx.Client,
    clock: Clock,
    rng: random.Random,
    stop: threading.Event | None = None,
) -> S3Store:
    """A ready S3Store for ``endpoint`` with the config's key pair."""
    endpoint = endpoint.rstrip("/")
    _check_endpoint(endpoint)
    signer = Signer(config.key_id, config.application_key, config.region or DEFAULT_REGION)
    raw = RawS3(http, endpoint, signer, upload_read_s=config.upload_read_timeout_s)
    owns_stop = stop is None
    stop = threading.Event() if stop is None else stop
    session = S3Session(
        raw,
        backoff=Backoff(
            max_attempts=config.max_attempts,
            base_s=config.backoff_base_s,
            cap_s=config.backoff_cap_s,
        ),
        clock=clock,
        rng=rng,
        stop=stop,
        head_threads=max(4, config.download_threads * 2),
    )
    return S3Store(session, config, stop=stop, http=http, owns_stop=owns_stop)
