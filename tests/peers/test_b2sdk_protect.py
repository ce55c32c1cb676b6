"""b2sdk's encryption (SSE-B2, SSE-C), Object Lock and replication settings (``b2sdk.v3``)."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.peers.conftest import Sdk
from tests.peers.peerkit import BUCKET, pseudo_random
from tests.peers.test_b2sdk import LARGE, read_all

pytestmark = pytest.mark.peers


def test_sse_b2_upload(sdk_v3: Sdk) -> None:
    """An SSE-B2 upload reports SSE-B2 back (as B2 does), in the listing too."""
    module = sdk_v3.module
    setting = module.EncryptionSetting(
        mode=module.EncryptionMode.SSE_B2, algorithm=module.EncryptionAlgorithm.AES256
    )
    bucket = sdk_v3.api().get_bucket_by_name(BUCKET)
    uploaded = bucket.upload_bytes(b"x", "sse.txt", encryption=setting)
    assert uploaded.server_side_encryption == setting
    listed = [fv for fv, _ in bucket.ls(latest_only=False)]
    assert listed[0].server_side_encryption == setting
    assert read_all(bucket.download_file_by_name("sse.txt")) == b"x"


def sse_c(module: ModuleType, secret: bytes, key_id: str) -> Any:
    """An SSE-C EncryptionSetting with ``secret`` (32 bytes)."""
    key = module.EncryptionKey(secret=secret, key_id=key_id)
    return module.EncryptionSetting(
        mode=module.EncryptionMode.SSE_C, algorithm=module.EncryptionAlgorithm.AES256, key=key
    )


def test_sse_c_needs_the_key(sdk_v3: Sdk) -> None:
    """An SSE-C file reads back with its key, not without it or with another (as on B2)."""
    module = sdk_v3.module
    setting = sse_c(module, b"k" * 32, "peer-key")
    bucket = sdk_v3.api().get_bucket_by_name(BUCKET)
    uploaded = bucket.upload_bytes(b"secret", "ssec.txt", encryption=setting)
    assert uploaded.server_side_encryption.mode == module.EncryptionMode.SSE_C
    assert uploaded.file_info["sse_c_key_id"] == "peer-key"
    got = bucket.download_file_by_name("ssec.txt", encryption=setting)
    assert read_all(got) == b"secret"
    with pytest.raises(module.exception.B2Error):
        read_all(bucket.download_file_by_name("ssec.txt"))
    with pytest.raises(module.exception.AccessDenied):
        read_all(
            bucket.download_file_by_id(
                uploaded.id_, encryption=sse_c(module, b"o" * 32, "other-key")
            )
        )


def test_sse_c_copy_and_large_file(sdk_v3: Sdk, tmp_path: Path) -> None:
    """b2sdk copies an SSE-C file to a new key and uploads an SSE-C large file in parts."""
    module = sdk_v3.module
    first, second = sse_c(module, b"1" * 32, "one"), sse_c(module, b"2" * 32, "two")
    bucket = sdk_v3.api().get_bucket_by_name(BUCKET)
    source = bucket.upload_bytes(b"copy me", "c/src.txt", encryption=first)
    bucket.copy(
        source.id_,
        "c/dst.txt",
        source_encryption=first,
        destination_encryption=second,
        source_file_info=source.file_info,
        source_content_type=source.content_type,
    )
    assert read_all(bucket.download_file_by_name("c/dst.txt", encryption=second)) == b"copy me"
    data = pseudo_random(LARGE)
    local = tmp_path / "large.bin"
    local.write_bytes(data)
    large = bucket.upload_local_file(str(local), "c/large.bin", encryption=first)
    assert large.server_side_encryption.mode == module.EncryptionMode.SSE_C
    assert read_all(bucket.download_file_by_name("c/large.bin", encryption=first)) == data


def test_object_lock_retention(sdk_v3: Sdk) -> None:
    """Retention and legal hold on a file-lock bucket are stored, reported and enforced."""
    module = sdk_v3.module
    api = sdk_v3.api()
    bucket = api.create_bucket("peer-locked", "allPrivate", is_file_lock_enabled=True)
    assert bucket.is_file_lock_enabled is True
    retention = module.FileRetentionSetting(module.RetentionMode.GOVERNANCE, 4_102_444_800_000)
    uploaded = bucket.upload_bytes(b"x", "r.txt", file_retention=retention)
    assert uploaded.file_retention == retention
    api.update_file_legal_hold(uploaded.id_, uploaded.file_name, module.LegalHold.ON)
    info = api.get_file_info(uploaded.id_)
    assert info.legal_hold == module.LegalHold.ON
    with pytest.raises(module.exception.AccessDenied):
        api.delete_file_version(uploaded.id_, uploaded.file_name)
    api.update_file_legal_hold(uploaded.id_, uploaded.file_name, module.LegalHold.OFF)
    with pytest.raises(module.exception.AccessDenied):
        api.delete_file_version(uploaded.id_, uploaded.file_name)
    api.delete_file_version(uploaded.id_, uploaded.file_name, bypass_governance=True)


def test_object_lock_compliance_and_default_retention(sdk_v3: Sdk) -> None:
    """A bucket default (compliance, 1 day) locks new files; shortening is refused."""
    module = sdk_v3.module
    api = sdk_v3.api()
    bucket = api.create_bucket("peer-compliance", "allPrivate", is_file_lock_enabled=True)
    rule = module.BucketRetentionSetting(
        module.RetentionMode.COMPLIANCE, module.RetentionPeriod(days=1)
    )
    bucket = bucket.update(default_retention=rule)
    assert bucket.default_retention == rule
    uploaded = bucket.upload_bytes(b"x", "c.txt")
    assert uploaded.file_retention.mode == module.RetentionMode.COMPLIANCE
    shorter = module.FileRetentionSetting(
        module.RetentionMode.COMPLIANCE, uploaded.file_retention.retain_until - 1000
    )
    with pytest.raises(module.exception.AccessDenied):
        api.update_file_retention(uploaded.id_, uploaded.file_name, shorter, True)
    with pytest.raises(module.exception.AccessDenied):
        api.delete_file_version(uploaded.id_, uploaded.file_name, bypass_governance=True)


def test_replication_configuration_is_echoed(sdk_v3: Sdk) -> None:
    """A bucket's replication rules are stored and read back (the emulator never applies them)."""
    module = sdk_v3.module
    api = sdk_v3.api()
    destination = api.create_bucket("peer-replica", "allPrivate")
    source = api.get_bucket_by_name(BUCKET)
    config = module.ReplicationConfiguration(
        rules=[module.ReplicationRule(destination_bucket_id=destination.id_, name="to-replica")],
        source_key_id=sdk_v3.server.key_id,
    )
    updated = source.update(replication=config)
    assert updated.replication == config
    assert api.list_buckets(bucket_name=BUCKET)[0].replication == config
