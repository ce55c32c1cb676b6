"""Which road to B2: the native API's B2Client or the S3-compatible API's S3Store.

``[b2] api`` picks the backend; both implement the engine's ``RemoteStore`` plus the
calls the composition root makes at start and stop. Encryption and Object Lock are
native-API features here: with ``api = "s3"`` they are refused at start.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterable
from typing import Protocol

import httpx

from syncd.b2 import build_client
from syncd.clock import Clock
from syncd.config import B2Config
from syncd.engine import RemoteStore
from syncd.errors import ConfigError
from syncd.remote import Bucket, FileVersion, WritePolicy


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
    client_tag: str = "",
    policies: Iterable[tuple[str, str, WritePolicy]] = (),
) -> RemoteClient:
    """The backend ``config.api`` names. ``s3_url`` is the embedded emulator's S3 port
    (used when no ``s3_endpoint`` is configured); ``client_tag`` and ``policies`` are
    the native client's (large-file ownership; encryption and Object Lock)."""
    policies = list(policies)
    if config.api == "s3":
        if any(p.encryption is not None or p.lock is not None for _b, _p, p in policies):
            raise ConfigError(
                'encryption and [retention.lock] need api = "native" (not supported over S3 yet)'
            )
        endpoint = config.s3_endpoint or s3_url
        if endpoint is None:
            raise ConfigError('[b2] s3_endpoint is required with api = "s3"')
        from syncd.s3 import build_s3_store  # noqa: PLC0415 - botocore only when api = "s3"

        return build_s3_store(config, endpoint=endpoint, http=http, clock=clock, rng=rng, stop=stop)
    return build_client(
        config,
        realm_url=realm_url,
        http=http,
        clock=clock,
        rng=rng,
        stop=stop,
        client_tag=client_tag,
        policies=policies,
    )
