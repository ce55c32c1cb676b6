"""Fixtures for syncd's S3 backend: a moto S3 server, boto3, and S3Stores on the emulator."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

from syncd.clock import SystemClock
from syncd.config import B2Config
from syncd.emulator import EmulatorServer
from syncd.s3 import S3Store, build_s3_store

MOTO_BUCKET = "syncd-moto-bucket"


def boto(url: str, key_id: str = "moto-key", key: str = "moto-secret") -> Any:
    """A path-style boto3 client without retries."""
    return boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id=key_id,
        aws_secret_access_key=key,
        region_name="us-east-1",
        config=Config(
            s3={"addressing_style": "path"}, retries={"mode": "standard", "total_max_attempts": 1}
        ),
    )


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    """A moto S3 server on loopback for the whole session (an S3 that is not ours)."""
    import moto.s3.models  # noqa: PLC0415
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    setattr(moto.s3.models, "S3_UPLOAD_PART_MIN_SIZE", 1000)  # noqa: B010  (small parts, fast tests)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto_bucket(moto_url: str, request: pytest.FixtureRequest) -> str:
    """A fresh versioned moto bucket for one test."""
    name = f"{MOTO_BUCKET}-{abs(hash(request.node.nodeid)) % 10**8}"
    client = boto(moto_url)
    client.create_bucket(Bucket=name)
    client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def store_for(url: str, key_id: str, key: str, **overrides: Any) -> S3Store:
    """An S3Store on ``url`` with fast retries and small parts."""
    options: dict[str, Any] = {
        "key_id": key_id,
        "application_key": key,
        "key_source": "env:TEST",
        "api": "s3",
        "part_size_bytes": 2000,
        "large_file_threshold_bytes": 5000,
        "backoff_base_s": 0.01,
        "backoff_cap_s": 0.05,
        "max_attempts": 4,
    }
    options.update(overrides)
    return build_s3_store(
        B2Config(**options),
        endpoint=url,
        http=httpx.Client(),
        clock=SystemClock(),
        rng=random.Random(7),
    )


@pytest.fixture
def s3_emulator(emulator_factory: Any) -> EmulatorServer:
    """An emulator whose S3 side accepts 1000-byte parts."""
    server: EmulatorServer = emulator_factory(
        absolute_minimum_part_size=1000, recommended_part_size=2000
    )
    return server


@pytest.fixture
def store(s3_emulator: EmulatorServer) -> Iterator[S3Store]:
    """An S3Store on the emulator's S3 port with the master key."""
    made = store_for(s3_emulator.s3_url, s3_emulator.key_id, s3_emulator.key)
    yield made
    made.close()
