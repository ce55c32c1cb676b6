"""The emulator's S3 port: where it is advertised, clock skew, and injected faults."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from syncd.emulator import EmulatorServer


def test_authorize_advertises_the_s3_port(s3_server: EmulatorServer) -> None:
    """b2_authorize_account's s3ApiUrl is the S3 port, not the native one."""
    reply = httpx.get(
        f"{s3_server.base_url}/b2api/v4/b2_authorize_account",
        auth=(s3_server.key_id, s3_server.key),
    ).json()
    assert reply["apiInfo"]["storageApi"]["s3ApiUrl"] == s3_server.s3_url
    assert s3_server.s3_url != s3_server.base_url


def test_skewed_clock_is_request_time_too_skewed(
    s3: Any, bucket_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request signed 20 minutes in the future is refused with RequestTimeTooSkewed."""
    import botocore.auth  # noqa: PLC0415

    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=20)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: ahead.replace(tzinfo=None))
    with pytest.raises(ClientError) as skew:
        s3.list_objects_v2(Bucket=bucket_name)
    error = skew.value.response["Error"]
    assert error["Code"] == "RequestTimeTooSkewed"
    assert error["ServerTime"]


def test_fault_rule_answers_slow_down_with_retry_after(
    s3: Any, s3_server: EmulatorServer, bucket_name: str
) -> None:
    """``s3_put_object:status=503`` answers SlowDown with Retry-After, once (count=1)."""
    s3_server.set_faults(["s3_put_object:status=503,count=1,retry_after=2"])
    with pytest.raises(ClientError) as slow:
        s3.put_object(Bucket=bucket_name, Key="k", Body=b"1")
    assert slow.value.response["Error"]["Code"] == "SlowDown"
    assert slow.value.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"] == "2"
    s3.put_object(Bucket=bucket_name, Key="k", Body=b"1")
    assert s3_server.stats()["calls"]["s3_put_object"] == 2
