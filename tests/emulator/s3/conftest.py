"""Fixtures for the emulator's S3-compatible API: a boto3 client and a b2sdk view."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config

from syncd.emulator import EmulatorServer
from tests.conftest import EMULATOR_BUCKET

REGION = "us-west-004"


def s3_client(url: str, key_id: str, key: str, **config: Any) -> Any:
    """A boto3 S3 client, path-style, without retries."""
    return boto3.client(
        "s3",
        endpoint_url=url,
        aws_access_key_id=key_id,
        aws_secret_access_key=key,
        region_name=REGION,
        config=Config(
            s3={"addressing_style": "path"},
            retries={"mode": "standard", "total_max_attempts": 1},
            **config,
        ),
    )


@pytest.fixture
def s3_server(emulator_factory: Any) -> EmulatorServer:
    """An emulator with tiny part limits (multipart tests stay small)."""
    server: EmulatorServer = emulator_factory(
        absolute_minimum_part_size=1000, recommended_part_size=2000
    )
    return server


@pytest.fixture
def s3(s3_server: EmulatorServer) -> Any:
    """boto3 against the emulator's S3 port with the master key."""
    return s3_client(s3_server.s3_url, s3_server.key_id, s3_server.key)


@pytest.fixture
def b2api(s3_server: EmulatorServer) -> Any:
    """b2sdk (v3 interface) against the same emulator's native API."""
    from b2sdk.v3 import B2Api, InMemoryAccountInfo  # noqa: PLC0415

    api = B2Api(InMemoryAccountInfo())
    api.authorize_account(s3_server.key_id, s3_server.key, realm=s3_server.base_url)
    return api


@pytest.fixture
def bucket_name() -> str:
    """The emulator's default bucket."""
    return EMULATOR_BUCKET
