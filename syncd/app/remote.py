"""Which road to B2: the native API's B2Client or the S3-compatible API's S3Store.

Imports ``syncd.b2``, ``syncd.s3``, ``syncd.engine.ports``, ``syncd.config`` and
``syncd.clock``. ``[b2] api`` picks the backend; both implement the engine's
``RemoteStore`` plus the three calls the composition root makes at start and stop.
"""

from __future__ import annotations

import random
import threading
from typing import Protocol

import httpx

from syncd.b2 import build_client
from syncd.clock import Clock
from syncd.config import B2Config
from syncd.engine.ports import RemoteStore
from syncd.errors import ConfigError
from syncd.remote import Bucket, FileVersion
from syncd.s3 import build_s3_store


class RemoteClient(RemoteStore, Protocol):
    """A RemoteStore the app can also authorize, check and close."""

    def authorize(self) -> object:
        """Prove the key (the native API authorizes; S3 signs every request)."""
        ...

    def check_access(self, bucket_name: str, prefix: str, *, need: frozenset[str]) -> Bucket:
        """The bucket, once the key is known to reach it."""
        ...

    def get_file_info(self, file_id: str) -> FileVersion:
        """One version by id (``restore --at`` a file id)."""
        ...

    def close(self) -> None:
        """Release connections and wake waits."""
        ...


def build_remote(
    config: B2Config,
    *,
    realm_url: str,
    s3_url: str | None,
    http: httpx.Client,
    clock: Clock,
    rng: random.Random,
    stop: threading.Event | None = None,
) -> RemoteClient:
    """The backend ``config.api`` names. ``s3_url`` is the embedded emulator's S3 port
    (used when no ``s3_endpoint`` is configured)."""
    if config.api == "s3":
        endpoint = config.s3_endpoint or s3_url
        if endpoint is None:
            raise ConfigError('[b2] s3_endpoint is required with api = "s3"')
        return build_s3_store(config, endpoint=endpoint, http=http, clock=clock, rng=rng, stop=stop)
    return build_client(config, realm_url=realm_url, http=http, clock=clock, rng=rng, stop=stop)
